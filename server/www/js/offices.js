/*
 * offices.js - a district office's contact details (GET
 * /api/v1/districts/{code}/office, public): where a candidate goes in person
 * for a manual identity check, a graduation pre-review or with papers;
 * fetched once per page and district. officeDetails(office) is the card the
 * identity page and the contacts page show; officeBox(district) the same
 * under a heading naming the district, or the API's sentence when none is on
 * record.
 */
import { get } from './api.js';
import { el } from './layout.js';

const cache = new Map();

/* The office of a district code: the API's answer, or an ApiError whose message
 * says none is on record (DISTRICT_OFFICE_NOT_FOUND). */
export function districtOffice(code) {
  if (!cache.has(code)) cache.set(code, get(`/districts/${encodeURIComponent(code)}/office`));
  return cache.get(code);
}

/* name, then 地址 / 电话 / 办公时间 / 说明 as a list. */
export function officeDetails(o) {
  const row = (k, v) => el('div', {}, el('dt', {}, k), el('dd', {}, v));
  return [el('p', { class: 'office-name' }, o.name),
          el('dl', { class: 'summary-list compact' }, row('地址', o.address), row('电话', o.phone),
             row('办公时间', o.hours), o.note ? row('说明', o.note) : null)];
}

/* A box headed "考籍管理区县：<where>" (heading level `level`) with the contact. */
export async function officeBox(district, level = 3) {
  const where = district ? `${district.city || ''}${district.name || ''}` : '';
  const box = el('div', { class: 'office' }, el(`h${level}`, {}, `考籍管理区县：${where}`));
  if (!district || !district.code) return box;
  try {
    box.append(...officeDetails(await districtOffice(district.code)));
  } catch (e) {
    box.append(el('p', {}, e.message));
  }
  return box;
}
