/*
 * form.js - a form that talks to the API (GOV.UK "Error summary" pattern).
 *
 * new Form(formElement, {submit}) takes over the form's submit:
 *   - a field marked `required` that is empty is reported without asking the
 *     server ("请填写<label>"); every other rule is the server's;
 *   - while submit(values) runs, the form's submit buttons are disabled and
 *     further submits are ignored, so a double click submits once;
 *   - an ApiError thrown by submit is shown: an error summary at the top of the
 *     form's step (role="alert", focus moved to it, each message a link to its
 *     field) and the API's message next to the field its `field` names; what
 *     was typed stays. The page title starts with "错误：" while errors show;
 *     403 IDENTITY_REQUIRED adds the link to 身份认证.
 *
 * values: the form's named fields ({name: value}), text trimmed (not passwords);
 * a radio group gives its chosen value, checkboxes the list of ticked values.
 * A <fieldset name=API_FIELD class="field" tabindex="-1"> with a
 * <legend class="field-label"> takes the API's message for a group.
 * Field markup: <div class="field"><label for=ID>..</label><p class="hint"
 * id=ID-hint>..</p><input id=ID name=API_FIELD aria-describedby=ID-hint></div>.
 */
import { el, IDENTITY_PAGE } from './layout.js';

const TITLE_PREFIX = '错误：';

function labelOf(input) {
  const l = input.labels && input.labels[0];
  if (!l) return input.name;
  const c = l.cloneNode(true);
  c.querySelectorAll('.hint, .visually-hidden').forEach((n) => n.remove());
  return c.textContent.trim();
}

export class Form {
  constructor(form, { submit }) {
    this.form = form;
    this.submitFn = submit;
    this.busy = false;
    this.summary = null;
    form.noValidate = true;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.run();
    });
  }

  input(name) {
    const e = this.form.elements.namedItem(name);
    return e instanceof RadioNodeList ? e[0] : e;
  }

  values() {
    const out = {};
    for (const e of this.form.elements) {
      if (!e.name || e.disabled || e.type === 'submit' || e.type === 'button') continue;
      if (typeof e.value !== 'string' || e.tagName === 'FIELDSET') continue;
      if (e.type === 'checkbox') { // every ticked box of a name: a list
        if (!(e.name in out)) out[e.name] = [];
        if (e.checked) out[e.name].push(e.value);
        continue;
      }
      if (e.type === 'radio') {
        if (e.checked) out[e.name] = e.value;
        else if (!(e.name in out)) out[e.name] = '';
        continue;
      }
      out[e.name] = e.type === 'password' ? e.value : e.value.trim();
    }
    return out;
  }

  /* Errors of empty required fields, in the form's order. */
  missing() {
    const errors = [];
    for (const e of this.form.elements) {
      if (!e.required || e.disabled || typeof e.value !== 'string' || e.value.trim() !== '') continue;
      const verb = e.tagName === 'SELECT' ? '请选择' : '请填写';
      errors.push({ field: e.name, message: verb + labelOf(e) });
    }
    return errors;
  }

  setBusy(on) {
    this.busy = on;
    for (const b of this.form.querySelectorAll('button[type=submit]')) b.disabled = on;
    this.form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  async run() {
    if (this.busy) return;
    this.clearErrors();
    const missing = this.missing();
    if (missing.length) {
      this.showErrors(missing);
      return;
    }
    this.setBusy(true);
    let keepBusy = false;
    try {
      keepBusy = (await this.submitFn(this.values(), this)) === Form.LEAVING;
    } catch (e) {
      if (!(e && e.code)) throw e;
      // A business request before the identity is verified: say where to do that.
      this.showError(e, e.code === 'IDENTITY_REQUIRED'
        ? el('a', { href: IDENTITY_PAGE }, '去身份认证') : null);
    } finally {
      if (!keepBusy) this.setBusy(false);
    }
  }

  /* Shows one ApiError (or {field, message}); more: extra nodes for the summary. */
  showError(e, more = null) {
    this.showErrors([{ field: e.field, message: e.message, more }]);
  }

  /* Shows errors [{field, message, more}]: the summary, then each field's message. */
  showErrors(errors) {
    this.clearErrors();
    const list = el('ul', {});
    for (const err of errors) {
      const input = err.field ? this.input(err.field) : null;
      const li = el('li', {});
      if (input && input.id) {
        const a = el('a', { href: '#' + input.id }, err.message);
        a.addEventListener('click', (ev) => {
          ev.preventDefault();
          input.focus();
          const field = input.closest('.field');
          (field || input).scrollIntoView({ block: 'start' });
        });
        li.append(a);
        this.markField(input, err.message);
      } else {
        li.append(el('span', { class: 'error-text' }, err.message));
      }
      if (err.more) li.append(' ', el('span', { class: 'more' }, err.more));
      list.append(li);
    }
    this.summary = el('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
                      el('h2', {}, '提交未成功'), list);
    const top = this.form.closest('[data-step]') || this.form.closest('main') || this.form;
    const heading = top.querySelector('h1');
    if (heading && heading.parentNode === top) heading.after(this.summary);
    else top.prepend(this.summary);
    if (!document.title.startsWith(TITLE_PREFIX)) document.title = TITLE_PREFIX + document.title;
    this.summary.focus();
  }

  markField(input, message) {
    const field = input.closest('.field');
    if (!field) return;
    field.classList.add('has-error');
    const id = input.id + '-error';
    const p = el('p', { class: 'field-error', id },
                 el('span', { class: 'visually-hidden' }, '错误：'), message);
    const label = field.querySelector(':scope > label, :scope > .field-label');
    let after = label;
    const hint = field.querySelector(':scope > .hint');
    if (hint) after = hint;
    if (after) after.after(p);
    else field.prepend(p);
    const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    input.setAttribute('aria-describedby', [id, ...ids.filter((x) => x !== id)].join(' '));
    input.setAttribute('aria-invalid', 'true');
  }

  clearErrors() {
    if (this.summary) this.summary.remove();
    this.summary = null;
    for (const p of this.form.querySelectorAll('.field-error')) {
      const input = this.form.querySelector(`[aria-describedby~="${p.id}"]`);
      if (input) {
        const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/)
          .filter((x) => x && x !== p.id);
        if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
        else input.removeAttribute('aria-describedby');
        input.removeAttribute('aria-invalid');
      }
      p.closest('.field')?.classList.remove('has-error');
      p.remove();
    }
    if (document.title.startsWith(TITLE_PREFIX)) {
      document.title = document.title.slice(TITLE_PREFIX.length);
    }
  }
}

/* Returned by submit when it navigates away: the form stays disabled. */
Form.LEAVING = Symbol('leaving');
