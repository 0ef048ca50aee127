/* graduation.js - 毕业申请 (me/graduation.html): the candidate's graduation
 * applications (GET /me/applications?kind=graduation, each read in full for
 * its timeline and the actions allowed), each with its state, what it means,
 * the next step as a link and the timeline; 开始申请 while the graduation
 * window is open and no application is under way (POST /me/applications,
 * then the draft's steps), the window's dates when it is not; 撤销申请 where
 * the API allows it, after asking. Needs a login and a verified identity. */
import { get, post } from '../api.js';
import { appPath, applyPage, loadApp, nextLink, timeline } from '../graduation.js';
import { el, flash, page, showMessage } from '../layout.js';
import { majors, majorText } from '../majors.js';
import { beijingTime, windowList } from '../windows.js';

function details(app, list) {
  const d = app.data || {};
  const major = list.find((m) => m.code === d.major);
  const unis = new Map();
  for (const m of list) for (const u of m.universities) unis.set(u.code, u.name);
  const rows = [
    ['专业', major ? majorText(major) : d.major || ''],
    ['主考院校', (d.universities || []).map((c) => unis.get(c) || c).join('、')],
    ['提交时间', app.submitted_at ? beijingTime(app.submitted_at) : '尚未提交'],
  ];
  return el('dl', { class: 'summary-list compact' },
            ...rows.filter(([, v]) => v).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
}

/* 撤销申请: asks first; the API says whether it is still allowed. */
function cancelBox(app, action) {
  const box = el('div', { class: 'cancel' });
  const ask = el('button', { type: 'button', class: 'secondary' }, action.title || '撤销申请');
  const sure = el('div', { class: 'warning', hidden: true },
                  el('h4', { tabindex: '-1' }, '确定要撤销这个毕业申请吗？'),
                  el('p', {}, '撤销后这份申请不再办理；本期还能否重新申请以页面提示为准。'));
  const yes = el('button', { type: 'button' }, '确认撤销');
  const no = el('button', { type: 'button', class: 'secondary' }, '返回，不撤销');
  sure.append(el('div', { class: 'actions' }, yes, no));
  ask.addEventListener('click', () => {
    sure.hidden = false;
    ask.hidden = true;
    sure.querySelector('h4').focus();
  });
  no.addEventListener('click', () => {
    sure.hidden = true;
    ask.hidden = false;
    ask.focus();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await post(`${appPath(app.id)}/${action.name}`);
      flash('毕业申请已撤销。');
      location.reload();
    } catch (e) {
      yes.disabled = false;
      sure.append(el('p', { class: 'field-error', role: 'alert' }, e.message));
    }
  });
  box.append(ask, sure);
  return box;
}

function appCard(app, list) {
  const h = `h-app-${app.id}`;
  const tag = app.open ? (app.state === 'draft' ? 'wait' : 'open') : app.state === 'refused' ? 'fail' : '';
  const next = nextLink(app);
  const card = el('section', { class: 'card application', 'aria-labelledby': h },
                  el('h3', { id: h }, app.window ? app.window.name : app.title, ' ',
                     el('span', { class: tag ? `tag ${tag}` : 'tag' }, app.state_title)),
                  app.next_step ? el('p', { class: 'next-step' }, app.next_step) : null,
                  details(app, list),
                  next ? el('div', { class: 'actions' }, next) : null);
  for (const a of app.actions || []) {
    if (a.name === 'cancel') card.append(cancelBox(app, a));
  }
  card.append(el('details', { class: 'history' }, el('summary', {}, '办理记录'), timeline(app)));
  return card;
}

page(async ({ me }) => {
  const list = (await get('/me/applications?kind=graduation')).items;
  const apps = await Promise.all(list.map((a) => loadApp(a.id)));
  const kind = (me.windows || []).find((k) => k.kind === 'graduation');
  const open = !!(kind && kind.current && kind.current.open);
  const busy = apps.some((a) => a.open);
  const where = document.querySelector('[data-window]');
  if (kind) where.append(windowList([kind], { headingLevel: 2 }));
  if (open && !busy) {
    const start = el('button', { type: 'button' }, apps.length ? '重新申请' : '开始申请');
    start.addEventListener('click', async () => {
      start.disabled = true;
      try {
        const app = await post('/me/applications', { kind: 'graduation' });
        location.assign(applyPage(app.id));
      } catch (e) {
        start.disabled = false;
        showMessage(e.message, 'error');
      }
    });
    where.append(el('p', {}, '毕业申请现在开放，请在结束时间前填写并提交；草稿会自动保存在系统中。'),
                 el('div', { class: 'actions' }, start));
  } else if (!open && !busy) {
    where.append(el('p', {}, '毕业申请现在未开放，请在上面的开放时间内申请。'));
  }
  const box = document.querySelector('[data-apps]');
  const list2 = apps.length ? await majors() : [];
  if (apps.length) box.append(el('h2', {}, '我的毕业申请'), ...apps.map((a) => appCard(a, list2)));
}, { login: true });
