/* order.js - one order (GET /api/v1/me/orders/{no}; ?no= is the order number,
 * which is not personal data): what it is for and the amount, then what can be
 * done in its state:
 *   created  choose 支付宝 or 微信支付 beside the amount and the refund policy,
 *            then 确认支付 (POST .../pay): Alipay is a redirect to the
 *            provider, which sends the browser back to /me/pay-return.html;
 *            WeChat shows the QR code (GET .../qr.svg) once the provider gave
 *            its payload (with the simulator, also a link standing in for
 *            the scan);
 *   paying   waits for the provider's notification (asking for the order,
 *            never trusting anything in the address), offers to go on paying;
 *   paid     the receipt (GET .../receipt.pdf: 202 with Retry-After while the
 *            pdf worker renders it; progress, then the download link);
 *   created or paying: 取消订单 after a page that asks to confirm (POST .../cancel).
 * Needs a login and a verified identity. */
import { get, post } from '../api.js';
import { documentLink } from '../documents.js';
import { Form } from '../form.js';
import { el, page, showMessage } from '../layout.js';
import { orderRows, PROVIDERS, stateOf, waitSettled, yuan } from '../orders.js';
import { Steps } from '../steps.js';


let waiting = null; // the order being waited for (waitSettled), if any
let receiptFor = null;
let statusShown = '';
let payingShown = '';

function statusBox(o) {
  const [text] = stateOf(o);
  const box = (kind, ...children) => el('div', { class: kind, role: 'status' }, ...children);
  switch (o.state) {
    case 'created': return box('notice', el('p', {}, `${text}：请选择支付方式并确认支付。`));
    case 'paying': return box('notice', el('p', {}, `确认中：已选择${PROVIDERS[o.provider] || ''}，正在等待支付结果。付款后系统确认需要几秒钟到几分钟。`));
    case 'paid': return box('notice', el('p', {}, '已支付：缴费已完成，可以下载缴费凭证。'));
    default: return box('notice', el('p', {}, `${text}：这个订单不能再支付。`));
  }
}

function payingBody(o, no) {
  const pay = o.pay || {};
  const parts = [];
  if (o.provider === 'alipay') {
    parts.push(el('p', {}, '如果您已经在支付宝付款，请稍候，系统确认后本页会显示“已支付”。如果还没有付款，可以继续支付。'));
    if (pay.url) parts.push(el('p', {}, el('a', { class: 'button', href: pay.url }, '继续到支付宝付款')));
  } else if (pay.qr_payload) {
    parts.push(el('p', {}, '请用手机微信“扫一扫”扫描下面的二维码付款。付款后本页会自动显示结果。'),
               el('p', {}, el('img', { class: 'qr', width: '224', height: '224', alt: '微信支付二维码',
                                       src: `/api/v1/me/orders/${encodeURIComponent(no)}/qr.svg` })));
    if (pay.url) {
      parts.push(el('p', { class: 'muted' }, '支付模拟器：用下面的按钮代替手机扫码。'),
                 el('p', {}, el('a', { class: 'button', href: pay.url }, '打开微信支付页面')));
    }
  } else {
    parts.push(el('p', { class: 'progress-text' }, el('progress', { 'aria-label': '正在获取支付二维码' }),
                  '正在向微信支付获取二维码…'));
  }
  parts.push(el('p', {}, el('a', { href: `/me/pay-return.html?no=${encodeURIComponent(no)}` },
                            '我已付款，查看支付结果')));
  return parts;
}

/* The receipt: progress while the pdf worker renders it, then the download. */
async function showReceipt(no) {
  if (receiptFor === no) return;
  receiptFor = no;
  document.querySelector('[data-receipt]').hidden = false;
  await documentLink(document.querySelector('[data-receipt-body]'),
                     `/api/v1/me/orders/${encodeURIComponent(no)}/receipt.pdf`, '缴费凭证',
                     '缴费凭证已生成。请下载后打印或保存，办理业务时可能需要出示。');
}

function render(o) {
  const no = o.order_no;
  const shown = `${o.state}/${o.provider}`;
  if (shown !== statusShown) { // a status line is announced: only when it changes
    statusShown = shown;
    document.querySelector('[data-status]').replaceChildren(statusBox(o));
  }
  document.querySelector('[data-order]').replaceChildren(...orderRows(o));
  document.querySelector('[data-cancel-order]').replaceChildren(...orderRows(o));
  document.querySelector('[data-pay]').hidden = o.state !== 'created';
  document.querySelector('[data-pay-what]').textContent = o.description;
  document.querySelector('[data-pay-amount]').textContent = yuan(o.amount_fen);
  document.querySelector('[data-pay-refund]').textContent = `${o.refund_policy}。`;
  const paying = document.querySelector('[data-paying]');
  paying.hidden = o.state !== 'paying';
  const pay = o.pay || {};
  const payShown = `${o.state}/${o.provider}/${pay.url || ''}/${pay.qr_payload || ''}`;
  if (o.state === 'paying' && payShown !== payingShown) { // the QR code is fetched once
    payingShown = payShown;
    document.querySelector('[data-paying-body]').replaceChildren(...payingBody(o, no));
  }
  document.querySelector('[data-cancel-actions]').hidden = !o.can_cancel;
  if (o.state === 'paid') showReceipt(no);
  if (o.state === 'paying' && !waiting) {
    waiting = waitSettled(no, {
      onOrder: render,
      settled: (x) => x.state !== 'paying',
    });
    waiting.then((r) => {
      waiting = null;
      if (!r.settled) {
        showMessage('暂时还没有收到支付结果。如果您已经付款，请稍后刷新本页查看。');
      }
    }, (e) => {
      waiting = null;
      showMessage(e.message, 'error');
    });
  }
}

page(async () => {
  const no = new URLSearchParams(location.search).get('no') || '';
  const steps = new Steps();
  let order = await get(`/me/orders/${encodeURIComponent(no)}`);
  document.title = `订单 ${order.order_no} - ${document.title}`;
  render(order);

  new Form(document.querySelector('[data-pay-form]'), {
    submit: async (v) => {
      try {
        order = await post(`/me/orders/${encodeURIComponent(no)}/pay`, { provider: v.provider });
      } catch (e) {
        // Wrong state (paid, closed, expired meanwhile): show the order as it now is too.
        if (e.status === 409) render(await get(`/me/orders/${encodeURIComponent(no)}`));
        throw e;
      }
      const pay = order.pay || {};
      if (order.state === 'paying' && pay.kind === 'redirect' && pay.url) {
        location.assign(pay.url);
        return Form.LEAVING;
      }
      render(order);
      document.querySelector('#h-paying').focus();
      return undefined;
    },
  });

  document.querySelector('[data-cancel]').addEventListener('click', () => steps.show('cancel'));
  document.querySelector('[data-back]').addEventListener('click', () => history.back());
  new Form(document.querySelector('[data-cancel-form]'), {
    submit: async () => {
      if (waiting) waiting.stop();
      order = await post(`/me/orders/${encodeURIComponent(no)}/cancel`);
      render(order);
      history.back(); // to the order, as it now is (closed)
      showMessage('订单已取消。');
    },
  });
}, { login: true });
