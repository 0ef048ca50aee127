/*
 * orders.js - orders as the candidate reads them (GET /api/v1/me/orders[/{no}]):
 * amounts in 元, the state in words, the provider's name, the summary rows of
 * one order, and waiting for an order to settle.
 *
 * The order's state is always the API's: a page that comes back from a
 * payment provider never takes the address (its query string) as proof of
 * payment, it asks for the order until the provider's notification has been
 * applied (waitSettled).
 */
import { get } from './api.js';
import { el } from './layout.js';
import { beijingTime } from './windows.js';

export const PROVIDERS = { alipay: '支付宝', wechat: '微信支付' };

const CLOSED = { cancelled: '已取消', expired: '已过期', superseded: '已作废' };

/* 12345 -> "123.45 元" */
export function yuan(fen) {
  const n = Math.abs(Number(fen) || 0);
  return `${fen < 0 ? '-' : ''}${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')} 元`;
}

/* [text, tag class] of an order's state. */
export function stateOf(o) {
  switch (o.state) {
    case 'created': return ['待支付', 'wait'];
    case 'paying': return ['支付确认中', 'wait'];
    case 'paid': return ['已支付', 'open'];
    case 'closed': return [`已关闭（${CLOSED[o.closed_reason] || '已关闭'}）`, ''];
    default: return [o.state, ''];
  }
}

export function stateTag(o) {
  const [text, kind] = stateOf(o);
  return el('span', { class: kind ? `tag ${kind}` : 'tag' }, text);
}

export function orderPath(no) {
  return `/me/order.html?no=${encodeURIComponent(no)}`;
}

/* The rows of a <dl class="summary-list compact"> for one order. */
export function orderRows(o) {
  const rows = [
    ['订单号', o.order_no],
    ['缴费事项', o.description],
    ['金额', yuan(o.amount_fen)],
    ['状态', stateTag(o)],
    ['支付方式', o.provider ? PROVIDERS[o.provider] || o.provider : ''],
    ['下单时间', beijingTime(o.created_at)],
    ['支付时间', beijingTime(o.paid_at)],
    ['关闭时间', beijingTime(o.closed_at)],
    ['支付流水号', o.provider_trade_no],
    ['退款说明', o.state === 'closed' ? '' : o.refund_policy], // a closed order took no money
  ];
  if (o.state === 'created' || o.state === 'paying') {
    rows.splice(6, 0, ['支付截止', beijingTime(o.expires_at)]);
  }
  return rows.filter(([, v]) => v).map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v)));
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

/*
 * Asks for the order until settled(order) is true (default: paid or closed),
 * calling onOrder(order) with each answer; every second for the first half
 * minute, then every 3 s, for about 3 minutes in all. Resolves to the last
 * order seen and whether it settled (a person is then told to look again
 * later, not left waiting for ever). A failed request is retried in the same
 * rhythm; stop() ends the waiting early.
 */
export function waitSettled(no, { settled, onOrder } = {}) {
  const done = settled || ((o) => o.state === 'paid' || o.state === 'closed');
  let stopped = false;
  const run = (async () => {
    let last = null;
    for (let i = 0; i < 80 && !stopped; i++) {
      try {
        last = await get(`/me/orders/${encodeURIComponent(no)}`);
        if (onOrder) onOrder(last);
        if (done(last)) return { order: last, settled: true };
      } catch (e) {
        if (!e.code || e.status === 401 || e.status === 403 || e.status === 404) throw e;
      }
      await sleep(i < 30 ? 1000 : 3000);
    }
    return { order: last, settled: false };
  })();
  run.stop = () => { stopped = true; };
  return run;
}
