/* orders.js - 订单查询 (GET /api/v1/me/orders): every order of the candidate,
 * newest first, with what it is for, the amount, its state and what can be
 * done with it (pay, look at it, download the receipt) on its own page.
 * Needs a login and a verified identity. */
import { get } from '../api.js';
import { el, page } from '../layout.js';
import { orderPath, stateTag, yuan } from '../orders.js';
import { beijingTime } from '../windows.js';

function action(o) {
  if (o.state === 'paid') return '查看订单，下载缴费凭证';
  if (o.can_pay) return o.state === 'paying' ? '查看支付结果' : '去支付';
  return '查看订单';
}

page(async () => {
  const { items } = await get('/me/orders');
  const box = document.querySelector('[data-orders]');
  if (!items.length) {
    box.replaceChildren(el('p', { class: 'muted' }, '您还没有订单。办理需要缴费的业务（如毕业申请）时会生成订单。'));
    return;
  }
  box.replaceChildren(el('ul', { class: 'cards' }, ...items.map((o) => el('li', { class: 'card' },
    el('h2', {}, o.description, ' ', stateTag(o)),
    el('p', {}, '金额：', el('strong', {}, yuan(o.amount_fen))),
    el('p', { id: `no-${o.order_no}` }, `订单号：${o.order_no}`),
    el('p', { class: 'muted' }, `下单时间：${beijingTime(o.created_at)}`),
    el('p', {}, el('a', { href: orderPath(o.order_no), 'aria-describedby': `no-${o.order_no}` },
                   action(o)))))));
}, { login: true });
