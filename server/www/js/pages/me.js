/* me.js - 个人中心 (GET /api/v1/me): the identity state and what to do about it,
 * the profile (ID number and phone masked by the API), 快捷入口 (the business
 * windows with their dates) and 查询中心. Needs a login. */
import { el, page } from '../layout.js';
import { beijingTime, ENTRY_PAGES, windowList } from '../windows.js';

const VERIFY_PAGE = '/me/identity.html';

/* What the candidate reads, and may do, in each identity state. */
function identityBox(me) {
  const s = me.identity.state;
  const where = me.district ? `（${me.district.city || ''}${me.district.name}）` : '';
  const states = {
    not_started: ['未认证', 'wait', '您还没有完成身份认证。完成身份认证后才能办理业务。', '去身份认证'],
    pending: ['认证中', 'wait', '您的照片正在核验，结果出来后会显示在身份认证页面。认证通过前还不能办理业务。',
              '查看认证进度'],
    failed: ['未通过', 'fail', '上次身份认证未通过。请查看原因，按要求更换照片后重新认证；多次不通过，' +
             `可携带身份证到考籍管理区县${where}办理人工认证。`, '查看原因并重新认证'],
    review: ['待人工审核', 'wait', `您的身份认证正在等待考籍管理区县${where}工作人员审核；审核通过前还不能办理业务。`,
             '查看认证进度'],
    verified: ['已认证', 'open', me.identity.verified_at
      ? `已于 ${beijingTime(me.identity.verified_at)} 通过身份认证。` : '已通过身份认证。', null],
    manual: ['已认证', 'open', '已由考籍管理区县人工认证。', null],
  };
  const [tag, kind, text, action] = states[s] || ['未认证', 'wait', '完成身份认证后才能办理业务。', '去身份认证'];
  const done = !action;
  return el('section', { class: done ? 'notice' : 'warning', 'aria-labelledby': 'h-identity' },
            el('h2', { id: 'h-identity' }, '身份认证 ', el('span', { class: `tag ${kind}` }, tag)),
            el('p', {}, text),
            action ? el('p', {}, el('a', { class: 'button', href: VERIFY_PAGE }, action)) : null);
}

function profileRows(me) {
  const verified = me.identity.state === 'verified' || me.identity.state === 'manual';
  const examIds = me.exam_ids.length ? me.exam_ids.join('、')
    : verified ? '暂无' : '通过身份认证后显示';
  const district = me.district ? `${me.district.city || ''} ${me.district.name}`.trim() : '';
  const rows = [
    ['姓名', me.name], ['证件类型', me.id_type], ['身份证号', me.id_number], ['准考证号', examIds],
    ['性别', me.gender], ['出生日期', me.birth_date], ['考籍管理区县', district],
    ['手机号', me.phone], ['民族', me.ethnicity], ['户口性质', me.hukou_type],
    ['文化程度', me.education], ['职业', me.occupation], ['政治面貌', me.political_status],
    ['电子邮箱', me.email], ['通讯地址', me.address],
  ];
  return rows.filter(([, v]) => v).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v)));
}

page(async ({ me }) => {
  const verified = me.identity.state === 'verified' || me.identity.state === 'manual';
  document.querySelector('[data-identity]').replaceChildren(identityBox(me));
  document.querySelector('[data-profile]').replaceChildren(...profileRows(me));
  const windows = document.querySelector('[data-windows]');
  windows.replaceChildren(windowList(me.windows, {
    link: (kind) => (verified && ENTRY_PAGES[kind] ? el('a', { href: ENTRY_PAGES[kind] }, '去办理') : null),
  }));
  if (!verified && windows.querySelector('.windows')) {
    windows.prepend(el('p', { class: 'muted' }, '完成身份认证后才能办理以下业务。'));
  }
}, { login: true });
