/* pay-return.js - the page a payment provider sends the browser back to (the
 * return_url of POST /api/v1/me/orders/{no}/pay: /me/pay-return.html?no=...).
 * The address only says which order (the provider adds its own parameters,
 * which are ignored): whether it is paid is the order's state once the
 * provider's notification has been applied, so the page shows 确认中 and asks
 * for the order (orders.js waitSettled) until it is paid or closed; if that
 * takes minutes it says so and offers to look again. Needs a login and a
 * verified identity. */
import { get } from '../api.js';
import { page } from '../layout.js';
import { orderPath, orderRows, waitSettled, yuan } from '../orders.js';

const CLOSED = { cancelled: '已取消', expired: '已过期未支付', superseded: '已作废' };

function show(state, o) {
  for (const s of document.querySelectorAll('[data-state]')) s.hidden = s.dataset.state !== state;
  const section = document.querySelector(`[data-state="${state}"]`);
  if (o) {
    section.querySelector('[data-order]').replaceChildren(...orderRows(o));
    for (const a of document.querySelectorAll('[data-order-link]')) a.href = orderPath(o.order_no);
  }
  return section;
}

function settle(r) {
  const o = r.order;
  if (r.settled && o.state === 'paid') {
    document.querySelector('[data-amount]').textContent = yuan(o.amount_fen);
    document.title = '支付成功 - 自学考试考生服务平台';
    // A graduation fee: the application goes on (the 毕业生登记表) on its own page.
    const business = document.querySelector('[data-graduation]');
    business.hidden = o.purpose !== 'graduation';
    document.querySelector('[data-order-link]').className = business.hidden ? 'button' : 'button secondary';
    show('paid', o).querySelector('h1').focus();
  } else if (r.settled && o.state === 'closed') {
    document.querySelector('[data-closed-reason]').textContent = CLOSED[o.closed_reason] || '已关闭';
    show('closed', o).querySelector('h1').focus();
  } else {
    const unpaid = !!o && o.state === 'created'; // never sent to a provider: nothing to wait for
    document.querySelector('[data-unpaid-text]').textContent = unpaid
      ? '这个订单还没有付款。请回到订单页面选择支付方式付款。'
      : '支付平台还没有通知付款结果。如果您已经付款，请稍后再次查询；系统也会自动向支付平台核对。';
    const section = show('unpaid', o);
    section.querySelector('[data-again]').hidden = unpaid;
    const link = section.querySelector('[data-order-link]');
    link.textContent = unpaid ? '去订单页面付款' : '查看订单';
    link.className = unpaid ? 'button' : '';
    section.querySelector('h1').focus();
  }
}

page(async () => {
  const no = new URLSearchParams(location.search).get('no') || '';
  const first = await get(`/me/orders/${encodeURIComponent(no)}`);
  show('waiting', first);
  const settledNow = (o) => o.state === 'paid' || o.state === 'closed' || o.state === 'created';
  const wait = async () => {
    show('waiting');
    settle(await waitSettled(no, { settled: settledNow }));
  };
  document.querySelector('[data-again]').addEventListener('click', () => {
    wait().catch((e) => { document.querySelector('[data-unpaid-text]').textContent = e.message; });
  });
  if (settledNow(first)) settle({ order: first, settled: first.state !== 'created' });
  else wait().catch((e) => { document.querySelector('[data-unpaid-text]').textContent = e.message; show('unpaid'); });
}, { login: true });
