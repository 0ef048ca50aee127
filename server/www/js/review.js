/*
 * review.js - what the staff console's review pages (工作台 and the item
 * page) share about the queues of GET /api/v1/staff/queues: an item's page,
 * what each queue's item is called, the words for each decision a queue's
 * hook takes (the API lists the decisions: `decisions`), and a timeline.
 */
import { el } from './layout.js';
import { when } from './staff.js';

export const itemPage = (kind, id) =>
  `/staff/item.html?queue=${encodeURIComponent(kind)}&id=${encodeURIComponent(id)}`;
export const queuePage = (kind) => `/staff/?queue=${encodeURIComponent(kind)}`;

/* What an item of the queue is, in a sentence: 已通过 张三 的<noun>。 */
export const NOUNS = {
  identity: '身份核验', graduation: '毕业申请', exemption: '免考申请',
  transfer: '省内转考申请', transfer_out: '省际转出申请',
};

/* The radio labels of each decision, per queue (the identity queue's as before). */
const LABELS = {
  identity: { approve: '通过（签发准考证号）', return: '退回（请考生重新上传照片）', refuse: '不通过' },
  graduation: { approve: '审核通过', refuse: '不通过（考生可在申请时间内重新申请一次）' },
  exemption: { approve: '确认免考（免考课程记入合格成绩）', return: '退回（写明原因，考生凭退回可重新申请一次）' },
  transfer: { approve: '同意转考（考籍管理区县改为转入区县）', refuse: '不同意' },
  transfer_out: { approve: '同意转出', refuse: '不同意' },
};
const DEFAULT_LABELS = { approve: '通过', return: '退回', refuse: '不通过' };
export const decisionLabel = (kind, d) => (LABELS[kind] || {})[d] || DEFAULT_LABELS[d] || d;

/* The verb a confirmation uses: 已通过 / 已确认 / 已退回 / 已不通过. */
export function decisionVerb(kind, d) {
  if (d === 'approve') return kind === 'exemption' ? '确认' : kind.startsWith('transfer') ? '同意' : '通过';
  if (d === 'return') return '退回';
  return kind.startsWith('transfer') ? '不同意' : '不通过';
}

const ACTORS = { candidate: '考生本人', staff: '工作人员', provider: '支付平台', system: '系统' };

/* An application's timeline ({title, actor, reason, at}) as a list. */
export function timelineList(steps) {
  if (!steps || !steps.length) return el('p', {}, '没有办理记录。');
  return el('ol', { class: 'timeline' }, ...steps.map((t) =>
    el('li', {}, el('p', {}, el('strong', {}, t.title || t.transition), ' ',
                    el('span', { class: 'muted' }, `${when(t.at)}（${ACTORS[t.actor] || t.actor}）`)),
       t.reason ? el('p', {}, `原因：${t.reason}`) : null)));
}
