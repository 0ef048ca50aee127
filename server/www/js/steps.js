/*
 * steps.js - one question page at a time inside one document (registration,
 * activation): what was typed stays in the page, never in the browser's
 * storage or the address.
 *
 * Markup: <div class="progress" data-progress><p></p><ol><li>..</li>...</ol></div>
 * and one <section data-step="NAME" data-title=".."> per step, the first
 * shown, the others hidden, each with an <h1 tabindex="-1">.
 *
 * steps.show(name) shows that step, marks it in the progress list ("第 2 步，
 * 共 3 步"), sets the page title, moves the focus to the step's heading (or to
 * `focus`, an element inside it) and adds a history entry, so the browser's
 * Back button returns to the step before. Once the final step shows (the
 * thing is done), Back no longer leaves it.
 */
export class Steps {
  constructor(root = document) {
    this.sections = [...root.querySelectorAll('[data-step]')];
    this.names = this.sections.map((s) => s.dataset.step);
    this.progress = root.querySelector('[data-progress]');
    this.baseTitle = document.title;
    this.current = this.names[0];
    this.final = false;
    history.replaceState({ step: this.current }, '', location.pathname + location.search);
    window.addEventListener('popstate', (ev) => {
      const name = ev.state && ev.state.step;
      if (this.final) {
        history.pushState({ step: this.current }, '', location.pathname + location.search);
        return;
      }
      if (name && this.names.includes(name)) this.render(name);
    });
    this.render(this.current, null, false);
  }

  section(name) {
    return this.sections[this.names.indexOf(name)];
  }

  show(name, focus = null) {
    if (name === this.current) {
      this.render(name, focus);
      return;
    }
    history.pushState({ step: name }, '', location.pathname + location.search);
    this.render(name, focus);
  }

  /* Shows the last step; Back stays there. */
  finish(name) {
    this.final = true;
    this.show(name);
  }

  render(name, focus = null, moveFocus = true) {
    this.current = name;
    const index = this.names.indexOf(name);
    this.sections.forEach((s, i) => { s.hidden = i !== index; });
    const section = this.section(name);
    if (this.progress) {
      const items = [...this.progress.querySelectorAll('li')];
      items.forEach((li, i) => {
        li.classList.toggle('done', i < index);
        if (i === index) li.setAttribute('aria-current', 'step');
        else li.removeAttribute('aria-current');
      });
      this.progress.querySelector('p').textContent = `第 ${index + 1} 步，共 ${items.length} 步`;
    }
    const title = section.dataset.title || section.querySelector('h1').textContent;
    document.title = `${title} - ${this.baseTitle}`;
    if (!moveFocus) return;
    const target = focus || section.querySelector('h1');
    target.focus();
    if (!focus) window.scrollTo(0, 0);
  }
}
