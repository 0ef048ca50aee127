/*
 * identity.js - 身份认证 (me/identity.html). Needs a login.
 *
 * What the province profile asks for (GET /me/identity: each photo's name and
 * what a good one looks like), each photo uploaded as it is (PUT
 * /me/identity/photos/{kind}, raw image/jpeg or image/png; the API's size and
 * type errors next to the file field) and shown back (GET .../photos/{kind}),
 * then a verification (POST /me/identity/attempts) followed while the photo
 * and face workers run (GET /me/identity/attempts/{id}, polled: every 2 s,
 * then every 5 s; after a minute the page says it takes longer than usual and
 * may be left; after 15 minutes it stops and offers to look again). Then each
 * rule's finding beside its photo (title, 通过 / 未通过, what was measured,
 * what is allowed, the API's sentence), the face comparison, and what to do
 * next: passed - business is open; failed - what to change, attempts left;
 * review - the district office's contact (GET /districts/{code}/office) and
 * what to bring. Every rule is the server's: this page only shows findings.
 */
import { ApiError, get, post } from '../api.js';
import { Form } from '../form.js';
import { findingList } from '../findings.js';
import { el, page } from '../layout.js';
import { officeBox as officeBoxOf } from '../offices.js';
import { beijingTime, ENTRY_PAGES, windowList } from '../windows.js';

const FAST_MS = 2000;
const SLOW_MS = 5000;
const LONG_AFTER_MS = 60 * 1000;
const GIVE_UP_AFTER_MS = 15 * 60 * 1000;

const FACE_DECISION = { pass: ['一致', 'open'], review: ['需人工审核', 'wait'], fail: ['未通过', 'fail'] };

let state = null;      // GET /me/identity
let who = null;        // GET /me
const cards = {};      // kind -> PhotoCard

function size(bytes) {
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(2)}MB` : `${(bytes / 1024).toFixed(1)}KB`;
}

function limitWords(bytes) {
  return bytes % 1048576 === 0 ? `${bytes / 1048576}MB` : `${Math.round(bytes / 1024)}KB`;
}

function labelOf(kind) {
  const r = state && state.required.find((p) => p.kind === kind);
  return r ? r.label : kind;
}

/* "holding_card~registration" -> "手持身份证照中的身份证人像 与 彩色证件照". */
function pairWords(pair) {
  const side = (s) => {
    const [kind, role] = s.split('_');
    if (role === 'person') return `${labelOf(kind)}中的本人`;
    if (role === 'card') return `${labelOf(kind)}中的身份证人像`;
    return labelOf(kind);
  };
  const [a, b] = pair.split('~');
  return `${side(a)} 与 ${side(b)}`;
}

/* A time Retry-After seconds from now, in Beijing time ("12月5日 00:00"). */
function afterSeconds(seconds) {
  const t = new Date(Date.now() + seconds * 1000);
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', month: 'numeric',
                                               day: 'numeric', hour: '2-digit', minute: '2-digit',
                                               hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
  return `${+p.month}月${+p.day}日 ${p.hour}:${p.minute}`;
}

/* ---- one photo: requirements, the picture, the upload, the findings --------------------------- */

class PhotoCard {
  constructor(req) {
    this.kind = req.kind;
    const id = `photo-${req.kind}`;
    this.picture = el('div', { class: 'preview' });
    this.uploaded = el('p', { class: 'status-line', role: 'status' });
    this.input = el('input', { type: 'file', id: `${id}-file`, name: 'photo',
                               accept: 'image/jpeg,image/png', 'aria-describedby': `${id}-hint` });
    this.button = el('button', { type: 'submit', class: 'secondary' }, '上传照片');
    this.formEl = el('form', { class: 'form upload', method: 'post' },
                     el('div', { class: 'field' },
                        el('label', { for: `${id}-file` }, `选择${req.label}`),
                        el('p', { class: 'hint', id: `${id}-hint` }, 'JPG 或 PNG 图片；可用手机拍照或从相册选择。'),
                        this.input),
                     el('div', { class: 'actions compact' }, this.button));
    this.form = new Form(this.formEl, { submit: () => this.upload() });
    this.results = el('div', { class: 'photo-results' });
    // Read in this order on a phone: what a good photo is, the picture and its
    // upload, then the findings; side by side on a desktop (site.css).
    this.root = el('article', { class: 'photo-card', 'aria-labelledby': `${id}-h` },
                   el('h3', { id: `${id}-h` }, req.label),
                   el('div', { class: 'photo-guide' },
                      el('h4', {}, '照片要求'),
                      el('ul', { class: 'guide' }, ...(req.guide || []).map((g) => el('li', {}, g)))),
                   el('div', { class: 'photo-side' }, this.picture, this.uploaded, this.formEl),
                   this.results);
  }

  async upload() {
    const file = this.input.files && this.input.files[0];
    if (!file) {
      this.form.showError({ field: 'photo', message: `请先选择要上传的${labelOf(this.kind)}` });
      return;
    }
    let res;
    try {
      res = await fetch(`/api/v1/me/identity/photos/${this.kind}`, {
        method: 'PUT', credentials: 'same-origin', cache: 'no-store', body: file,
        headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json',
                   'X-CSRF-Token': who.csrf_token },
      });
    } catch {
      throw new ApiError(0, 'NETWORK', '网络连接失败，照片没有上传，请检查网络后重试', 'photo');
    }
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      let message = e.message || '照片没有上传成功，请重试';
      if (res.status === 413) {
        const req = state.required.find((p) => p.kind === this.kind);
        message = `${message}：${labelOf(this.kind)}文件不能超过 ${limitWords(req.max_bytes)}，` +
                  `所选文件为 ${size(file.size)}。`;
      }
      if (res.status === 401) throw new ApiError(401, e.code, `${message}（请重新登录后再上传）`, 'photo');
      throw new ApiError(res.status, e.code || `HTTP_${res.status}`, message, 'photo');
    }
    state = await get('/me/identity');
    // What 开始认证 said was about the photos as they were (missing, unchanged):
    // a new photo answers it, and the sentence would now mislead.
    start.clearErrors();
    await render();
    this.uploaded.textContent = `已上传（${size(data.size)}）。`;
  }

  /* req: this kind in GET /me/identity's required; check: the latest attempt's check of it. */
  update(req, attempt, canUpload) {
    this.picture.classList.toggle('empty', !req.uploaded);
    this.picture.replaceChildren(req.uploaded
      ? el('img', { src: `/api/v1/me/identity/photos/${this.kind}?t=${encodeURIComponent(req.uploaded_at)}`,
                    alt: `您上传的${req.label}`, width: '240', height: '240' })
      : el('p', { class: 'preview-empty' }, '尚未上传'));
    this.uploaded.textContent = req.uploaded
      ? `已上传：${size(req.size)}，${beijingTime(req.uploaded_at)}` : '';
    this.formEl.hidden = !canUpload;
    const check = attempt && attempt.photos.find((p) => p.kind === this.kind);
    const out = [];
    if (check && req.uploaded && req.uploaded_at > attempt.created_at) {
      // A photo uploaded after the attempt: its findings belong to the one it replaced.
      out.push(el('p', { class: 'notice' }, '这张照片在上次认证之后更换过，尚未检查；点击“开始认证”后检查。'));
      if (check.state !== 'pending' && check.rules) {
        out.push(el('details', {}, el('summary', {}, '查看被替换照片的检查结果'),
                    el('div', {}, findingList(check))));
      }
    } else if (check && check.state === 'pending') {
      out.push(el('p', {}, el('span', { class: 'tag wait' }, '检查中'), ' 正在检查这张照片……'));
    } else if (check) {
      const failed = (check.rules || []).filter((r) => r.verdict === 'failed').length;
      out.push(el('h4', {}, '检查结果 ',
                  el('span', { class: `tag ${check.state === 'passed' ? 'open' : 'fail'}` },
                     check.state === 'passed' ? '全部通过' : `${failed} 项未通过`)));
      if (check.state === 'failed') {
        out.push(el('p', {}, '请按下面标为“未通过”的项目修改或重新拍摄，上传新照片后再开始认证。'));
      }
      out.push(findingList(check));
    }
    this.results.replaceChildren(...out);
  }
}

/* ---- the district office (review, or failing again and again) ------------------------------- */

async function officeBox() {
  const box = await officeBoxOf(who.district);
  box.append(el('p', { class: 'office-more' }, el('a', { href: '/offices.html' }, '各区县招办联系方式')));
  return box;
}

const BRING = '办理时请携带本人身份证原件；工作人员会当场核对您本人和证件。';

/* ---- the state at the top: what is going on and what to do next ------------------------------- */

const status = () => document.querySelector('[data-status]');

/* One live region for the whole page (never rebuilt), so that a screen reader
 * hears the progress and the outcome as they change. */
function announce(text) {
  const live = document.querySelector('[data-live]');
  if (live.textContent !== text) live.textContent = text;
}

/* The attempt's photo checks in the order the profile lists the photos. */
function inOrder(checks) {
  const at = (kind) => state.required.findIndex((p) => p.kind === kind);
  return [...(checks || [])].sort((a, b) => at(a.kind) - at(b.kind));
}

function progressBox(attempt, long) {
  const photos = inOrder(attempt.photos);
  const done = photos.filter((p) => p.state !== 'pending').length;
  const faces = (attempt.faces || []).length > 0;
  const total = photos.length + 1;
  const finished = done + (faces ? 1 : 0);
  const text = `正在核验您的照片：已完成 ${finished} 项，共 ${total} 项。`;
  announce(long ? `${text}这次认证用时比平常长，您可以离开本页面。` : text);
  const steps = el('ol', { class: 'check-steps' },
                   ...photos.map((p) => el('li', {}, `${labelOf(p.kind)}检查 `,
                                           el('span', { class: `tag ${p.state === 'pending' ? 'wait' : 'open'}` },
                                              p.state === 'pending' ? '进行中' : '已完成'))),
                   el('li', {}, '人脸比对 ',
                      el('span', { class: `tag ${faces ? 'open' : 'wait'}` }, faces ? '已完成' : '进行中')));
  const meter = el('progress', { max: String(total), value: String(finished), 'aria-label': '认证进度' });
  return el('div', { class: 'notice' },
            el('h2', {}, '认证中 ', el('span', { class: 'tag wait' }, '请稍候')),
            el('p', { class: 'progress-text' }, text), meter, steps,
            long ? el('p', { class: 'long-wait' },
                      '这次认证用时比平常长。您可以离开本页面，结果出来后会显示在这里和个人中心；本页面会继续自动查看结果。')
              : el('p', { class: 'muted' }, '通常在一分钟内完成，请不要关闭本页面。'));
}

async function verdictBox(attempt) {
  const reasons = (attempt.reasons || []).map((r) => el('li', {}, r));
  if (attempt.state === 'passed') {
    const fresh = await get('/me');
    who = fresh;
    const examIds = fresh.exam_ids && fresh.exam_ids.length
      ? el('p', {}, '您的准考证号：', el('strong', {}, fresh.exam_ids.join('、')), '（请牢记，可用准考证号登录）') : null;
    const open = (fresh.windows || []).filter((k) => k.current && k.current.open);
    return el('div', { class: 'outcome' },
              el('div', { class: 'panel' }, el('h2', { tabindex: '-1' }, '身份认证已通过'),
                 el('p', {}, '现在可以办理自学考试业务了。')),
              examIds,
              open.length ? el('h3', {}, '现在开放的业务') : null,
              open.length ? windowList(open, { link: (kind) => (ENTRY_PAGES[kind] ? el('a', { href: ENTRY_PAGES[kind] }, '去办理') : null) }) : null,
              el('p', {}, el('a', { class: 'button', href: '/me/' }, '进入个人中心')));
  }
  if (attempt.state === 'review') {
    return el('div', { class: 'warning' },
              el('h2', { tabindex: '-1' }, '等待人工审核 ', el('span', { class: 'tag wait' }, '审核中')),
              reasons.length ? el('ul', {}, ...reasons) : null,
              el('p', {}, '系统不能自动确认照片中是否为同一人，已转给您的考籍管理区县招办人工审核。审核通过后即可办理业务，请留意个人中心的认证状态；也可以直接到区县招办办理人工认证。'),
              el('p', {}, BRING),
              await officeBox());
  }
  const left = state.attempts_left_today;
  return el('div', { class: 'notice error' },
            el('h2', { tabindex: '-1' }, '身份认证未通过 ', el('span', { class: 'tag fail' }, '未通过')),
            el('p', {}, '原因：'),
            el('ul', {}, ...reasons),
            el('p', {}, left > 0
              ? `请按下面每张照片旁标为“未通过”的项目更换照片，再点击“开始认证”。今天还可认证 ${left} 次。`
              : '今天的认证次数已用完，请更换照片后明天再试。'),
            el('p', {}, '多次未通过的，可以到考籍管理区县招办办理人工认证。' + BRING),
            await officeBox());
}

function identityVerified() {
  return state.state === 'verified' || state.state === 'manual';
}

/* ---- rendering and following an attempt ----------------------------------------------------------- */

let current = null; // the latest attempt shown

async function render(opts = {}) {
  const attempt = current || (state.attempts && state.attempts[0]) || null;
  const pending = attempt && attempt.state === 'pending';
  const verified = identityVerified();
  const photosSection = document.querySelector('[data-photos-section]');
  const startSection = document.querySelector('[data-start-section]');
  const facesSection = document.querySelector('[data-faces-section]');

  // The top: the state and what to do next.
  let top = null;
  if (verified && !(attempt && attempt.state === 'passed')) {
    top = el('div', { class: 'panel' }, el('h2', { tabindex: '-1' }, '身份认证已通过'),
             el('p', {}, state.state === 'manual' ? '已由考籍管理区县人工认证。'
               : state.verified_at ? `已于 ${beijingTime(state.verified_at)} 通过身份认证。` : '现在可以办理业务了。'));
  } else if (pending) {
    top = progressBox(attempt, opts.long);
  } else if (attempt) {
    top = await verdictBox(attempt);
  } else {
    const n = state.required.length;
    top = el('div', { class: 'notice' }, el('h2', {}, '未认证'),
             el('p', {}, `请按要求上传下面 ${n} 张照片，全部上传后点击“开始认证”。`));
  }
  const box = status();
  box.replaceChildren(top);
  if (!pending && opts.focusOutcome) {
    announce(attempt.state === 'passed' ? '身份认证已通过。'
      : attempt.state === 'review' ? '认证结果：等待人工审核。' : '认证结果：身份认证未通过，原因见页面。');
  }

  // The photos with their findings.
  photosSection.hidden = verified && !attempt; // verified by hand: no photos to show
  document.querySelector('[data-intro]').hidden = verified;
  document.querySelector('#h-photos').textContent = verified ? '认证照片及检查结果' : '第一步：上传照片';
  document.querySelector('[data-photos-intro]').textContent = verified
    ? '认证时检查的照片及结果。'
    : `请上传以下 ${state.required.length} 张照片。照片会保存在系统中，可以随时更换；每张照片的检查结果会显示在照片旁边。`;
  photosSection.classList.toggle('verified', verified);
  const holder = document.querySelector('[data-photos]');
  for (const req of state.required) {
    if (!cards[req.kind]) {
      cards[req.kind] = new PhotoCard(req);
      holder.append(cards[req.kind].root);
    }
    cards[req.kind].update(req, attempt, !verified && !pending);
  }

  // The face comparison.
  const faces = attempt && !pending ? attempt.faces || [] : [];
  facesSection.hidden = faces.length === 0;
  document.querySelector('[data-faces]').replaceChildren(...faces.map((f) => {
    const [word, tag] = f.distance === null && f.decision === 'fail' ? ['未能比对', 'fail']
      : FACE_DECISION[f.decision] || [f.decision, ''];
    return el('li', { class: `finding ${f.decision === 'pass' ? 'passed' : f.decision === 'fail' ? 'failed' : 'review'}` },
              el('p', { class: 'finding-title' }, el('strong', {}, pairWords(f.pair)), ' ',
                 el('span', { class: `tag ${tag}` }, word)),
              f.distance !== null ? el('dl', {}, el('dt', {}, '差异度'), el('dd', {}, f.distance.toFixed(2))) : null,
              f.reason ? el('p', { class: 'finding-message' }, f.reason) : null);
  }));

  // Starting one.
  startSection.hidden = verified || pending || (attempt && attempt.state === 'review');
  const left = state.attempts_left_today;
  document.querySelector('[data-attempts-left]').textContent = left > 0
    ? `照片全部上传后点击“开始认证”。今天还可认证 ${left} 次。`
    : '今天的认证次数已用完，请明天再试；照片可以先更换好。';

  if (opts.focusOutcome) {
    const h = box.querySelector('h2');
    if (h) {
      h.setAttribute('tabindex', '-1');
      h.focus();
    }
  }
}

let following = 0; // a token: a newer follow() stops an older one

async function follow(attemptId) {
  const token = ++following;
  const started = Date.now();
  for (;;) {
    const waited = Date.now() - started;
    if (waited > GIVE_UP_AFTER_MS) {
      const again = el('button', { type: 'button', class: 'secondary' }, '再次查看结果');
      again.addEventListener('click', () => follow(attemptId));
      status().replaceChildren(el('div', { class: 'warning' },
                                  el('h2', {}, '认证仍在进行'),
                                  el('p', { role: 'status' }, '认证用时比平常长很多，结果出来后会显示在本页面和个人中心。您可以稍后再来查看。'),
                                  el('p', {}, again)));
      return;
    }
    await new Promise((r) => setTimeout(r, waited < LONG_AFTER_MS ? FAST_MS : SLOW_MS));
    if (token !== following) return;
    let attempt;
    try {
      attempt = await get(`/me/identity/attempts/${attemptId}`);
    } catch (e) {
      if (e.status === 401) {
        location.reload();
        return;
      }
      continue; // a network hiccup or a busy server: look again at the next tick
    }
    if (token !== following) return;
    current = attempt;
    if (attempt.state !== 'pending') {
      state = await get('/me/identity');
      current = state.attempts.find((a) => a.attempt_id === attempt.attempt_id) || attempt;
      await render({ focusOutcome: true });
      return;
    }
    await render({ long: Date.now() - started > LONG_AFTER_MS });
  }
}

let start = null; // the 开始认证 form

function startForm() {
  const form = new Form(document.querySelector('[data-start]'), {
    submit: async () => {
      let started;
      try {
        started = await post('/me/identity/attempts');
      } catch (e) {
        if (e.code === 'IDENTITY_ATTEMPTS_EXHAUSTED' && e.retryAfter) {
          form.showError(e, `北京时间 ${afterSeconds(e.retryAfter)} 以后可以再次认证。`);
          return;
        }
        throw e;
      }
      state = await get('/me/identity');
      current = state.attempts.find((a) => a.attempt_id === started.attempt_id) || null;
      await render({ focusOutcome: true });
      follow(started.attempt_id);
    },
  });
  start = form;
}

// Asked at once, beside GET /me (page() asks that): not one after the other.
// Without a session it fails as /me does, and page() goes to the login page.
const identityFirst = get('/me/identity');
identityFirst.catch(() => {});

page(async ({ me }) => {
  who = me;
  state = await identityFirst;
  startForm();
  await render();
  const latest = state.attempts && state.attempts[0];
  if (latest && latest.state === 'pending' && !identityVerified()) follow(latest.attempt_id);
}, { login: true });
