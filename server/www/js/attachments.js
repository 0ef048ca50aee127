/*
 * attachments.js - the files attached to an application (GET /api/v1/me/
 * applications/{id}/files): every slot the kind, province and level ask for
 * (Shanxi's zip of old-plan card scans, Tianjin's 证明材料 JPEGs), with its
 * title, hint and limits, each file's check (检查中 / 已通过 / 未通过 with the
 * reason the worker gave, naming the entry and the rule; a zip's entries, a
 * JPEG's findings), the upload (PUT .../files/{slot}, raw) and 删除 while the
 * application is a draft. While a file is being checked the slots are asked
 * for again (every 2 s, then 5 s) until every check is done.
 */
import { api, get, putFile } from './api.js';
import { findingList } from './findings.js';
import { Form } from './form.js';
import { el } from './layout.js';

const STATE = { checking: ['检查中', 'wait'], accepted: ['已通过', 'open'], refused: ['未通过', 'fail'] };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

function bytes(n) {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)}MB` : `${Math.max(1, Math.round(n / 1024))}KB`;
}

export class Attachments {
  /* root: where the slots go; path: the application's API path (/me/applications/7). */
  constructor(root, path) {
    this.root = root;
    this.path = path;
    this.data = null;
    this.polling = false;
  }

  async load() {
    this.data = await get(`${this.path}/files`);
    this.render();
    if (this.checking() && !this.polling) this.poll();
    return this.data;
  }

  checking() {
    return !!this.data && this.data.slots.some((s) => s.files.some((f) => f.state === 'checking'));
  }

  async poll() {
    this.polling = true;
    try {
      for (let i = 0; i < 200 && this.checking(); i++) {
        await sleep(i < 30 ? 2000 : 5000);
        this.data = await get(`${this.path}/files`);
        this.render();
      }
    } finally {
      this.polling = false;
    }
  }

  fileItem(slot, f) {
    const [word, tag] = STATE[f.state] || [f.state, ''];
    const li = el('li', { class: `attachment ${f.state}` },
                  el('p', {}, el('strong', {}, `第 ${f.seq} 个文件`), `（${bytes(f.size)}） `,
                     el('span', { class: `tag ${tag}` }, word)));
    if (f.state === 'checking') li.append(el('p', { class: 'muted' }, '正在检查文件，请稍候……'));
    if (f.reason) li.append(el('p', { class: 'fail-text' }, f.reason));
    if (f.entries && f.entries.length) {
      li.append(el('details', {}, el('summary', {}, `压缩包内的文件（${f.entries.length} 个）`),
                   el('ul', {}, ...f.entries.map((e) => el('li', {}, `${e.name}（${bytes(e.size)}）`)))));
    }
    if (f.rules && f.rules.length && f.state === 'refused') li.append(findingList(f));
    if (this.data.editable) {
      const del = el('button', { type: 'button', class: 'link-button' }, `删除第 ${f.seq} 个文件`);
      del.addEventListener('click', async () => {
        del.disabled = true;
        try {
          await api('DELETE', `${this.path}/files/${slot.slot}/${f.seq}`);
        } catch (e) {
          li.append(el('p', { class: 'field-error', role: 'alert' }, e.message));
        }
        await this.load();
      });
      li.append(el('p', {}, del));
    }
    return li;
  }

  slotBlock(slot) {
    const id = `slot-${slot.slot}`;
    const limits = slot.accepts === 'zip'
      ? `一个 zip 压缩包，不超过 ${bytes(slot.max_bytes)}；包内为 JPG、PNG 或 PDF 扫描件`
      : `JPG 图片，每张 ${bytes(slot.min_bytes)}～${bytes(slot.max_bytes)}，最多 ${slot.max_files} 张`;
    const box = el('article', { class: 'slot', 'aria-labelledby': `${id}-h` },
                   el('h3', { id: `${id}-h`, tabindex: '-1' }, slot.title, slot.required ? '' : '（按需上传）'),
                   slot.hint ? el('p', {}, slot.hint) : null);
    if (slot.files.length) box.append(el('ul', { class: 'attachments' }, ...slot.files.map((f) => this.fileItem(slot, f))));
    else box.append(el('p', { class: 'muted' }, '尚未上传。'));
    if (this.data.editable && slot.files.length < slot.max_files) {
      const input = el('input', { type: 'file', id: `${id}-file`, name: 'file',
                                  accept: slot.content_type, 'aria-describedby': `${id}-hint` });
      const formEl = el('form', { class: 'form upload', method: 'post' },
                        el('div', { class: 'field' },
                           el('label', { for: input.id }, `选择${slot.title}`),
                           el('p', { class: 'hint', id: `${id}-hint` }, limits), input),
                        el('div', { class: 'actions compact' },
                           el('button', { type: 'submit', class: 'secondary' }, '上传')));
      const form = new Form(formEl, {
        submit: async () => {
          const file = input.files && input.files[0];
          if (!file) {
            form.showError({ field: 'file', message: `请先选择要上传的${slot.title}` });
            return;
          }
          await putFile(`${this.path}/files/${slot.slot}`, file, slot.content_type, 'file');
          await this.load();
          this.root.querySelector(`#${id}-h`)?.focus();
        },
      });
      box.append(formEl);
    }
    return box;
  }

  render() {
    const slots = this.data.slots;
    this.root.replaceChildren(...slots.map((s) => this.slotBlock(s)));
    const fieldset = this.root.closest('fieldset');
    if (fieldset) fieldset.hidden = slots.length === 0;
  }
}
