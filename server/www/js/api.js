/*
 * api.js - the JSON API client every page uses (server/openapi.yaml).
 *
 * api(method, path, body) sends body as JSON to /api/v1 + path and resolves
 * to the answer's JSON, or rejects with an ApiError made from the API's error
 * envelope {"error": {code, message, field}} (with the status and Retry-After;
 * a network failure is status 0, code NETWORK; `body` is the whole answer). State-changing requests send
 * the session's CSRF token as X-CSRF-Token: the csrf_token of the last answer
 * that had one (GET /me, login, register, activate). Nothing is kept in the
 * browser's storage: the token lives in this module as long as the page.
 */

let csrfToken = null;

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter, body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter;
    this.body = body; // the whole answer (some errors carry more, e.g. the refused audit)
  }
}

const BUSY = '系统繁忙，请稍后再试';

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch('/api/v1' + path, init);
  } catch {
    throw new ApiError(0, 'NETWORK', '网络连接失败，请检查网络后重试', null, null);
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (data && typeof data.csrf_token === 'string') csrfToken = data.csrf_token;
  if (!res.ok) {
    const e = (data && data.error) || {};
    const retry = parseInt(res.headers.get('Retry-After') || '', 10);
    throw new ApiError(res.status, e.code || 'HTTP_' + res.status, e.message || BUSY, e.field,
                       Number.isFinite(retry) ? retry : null, data);
  }
  return data;
}

/* PUT of a file as its raw bytes (an upload into an application's slot):
 * the answer's JSON, or an ApiError as api() gives (field: the given one). */
export async function putFile(path, file, field) {
  const headers = { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream' };
  if (csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch('/api/v1' + path, { method: 'PUT', headers, body: file, credentials: 'same-origin',
                                          cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NETWORK', '网络连接失败，文件没有上传，请检查网络后重试', field, null);
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'HTTP_' + res.status, e.message || BUSY, field, null, data);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);

/* GET /api/v1/me once per page: the profile, or null when nobody is logged in
 * (meError() then tells why: NOT_LOGGED_IN, SESSION_ENDED, SESSION_EXPIRED). */
let meOnce = null;
let meWhy = null;
export function me() {
  if (!meOnce) {
    meOnce = get('/me').catch((e) => {
      if (e.status !== 401) throw e;
      meWhy = e;
      return null;
    });
  }
  return meOnce;
}
export const meError = () => meWhy;

/* GET /api/v1/province once per page: {profile, code, name, office_name}. */
let provinceOnce = null;
export function province() {
  if (!provinceOnce) provinceOnce = get('/province');
  return provinceOnce;
}
