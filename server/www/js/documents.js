/*
 * documents.js - a printable document of the API (receipt, 免考申请信息详情,
 * 省内转考申请信息详情, 省际转出证明): the API answers 202 with Retry-After while
 * the pdf worker renders it, then the file. documentLink(body, url, name,
 * ready) asks until it is rendered, showing progress in body, then puts the
 * download link there with the sentence `ready`. Only the status is read: a
 * rendered file's body is left to the link.
 */
import { el } from './layout.js';

const JOB_STATES = { queued: '排队等待生成', running: '正在生成', retrying: '生成遇到问题，正在重试' };
const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

export async function documentLink(body, url, name, ready) {
  const line = el('p', { class: 'progress-text', role: 'status' });
  const bar = el('progress', { 'aria-label': `${name}生成进度` });
  body.replaceChildren(line);
  for (let i = 0; i < 120; i++) {
    let res;
    const stop = new AbortController();
    try {
      res = await fetch(url, { credentials: 'same-origin', cache: 'no-store', signal: stop.signal,
                               headers: { Accept: 'application/pdf, application/json' } });
    } catch {
      line.replaceChildren('网络连接失败，正在重试…');
      await sleep(2000);
      continue;
    }
    if (res.status === 200) {
      stop.abort(); // the link downloads it
      body.replaceChildren(el('p', {}, ready),
                           el('p', {}, el('a', { class: 'button', href: url, download: '' },
                                          `下载${name}（PDF）`)));
      return;
    }
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (res.status !== 202) {
      const e = (data && data.error) || {};
      body.replaceChildren(el('p', { class: 'notice error', role: 'alert' },
                              e.message || `${name}暂时无法生成，请稍后刷新本页重试。`));
      return;
    }
    const job = (data && data.job) || {};
    line.replaceChildren(bar, `${name}${JOB_STATES[job.state] || '正在生成'}，请稍候…`);
    const wait = parseInt(res.headers.get('Retry-After') || '1', 10);
    await sleep(Math.max(1, Number.isFinite(wait) ? wait : 1) * 1000);
  }
  body.replaceChildren(el('p', { class: 'notice', role: 'status' },
                          `${name}生成时间较长，请稍后刷新本页再下载。`));
}
