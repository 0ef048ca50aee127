/*
 * offices.js - a district office's contact details (GET
 * /api/v1/districts/{code}/office, public): where a candidate goes in person
 * for a manual identity check or with papers. officeDetails(office) is the
 * card both the identity page and the contacts page show.
 */
import { get } from './api.js';
import { el } from './layout.js';

/* The office of a district code: the API's answer, or an ApiError whose message
 * says none is on record (DISTRICT_OFFICE_NOT_FOUND). */
export function districtOffice(code) {
  return get(`/districts/${encodeURIComponent(code)}/office`);
}

/* name, then 地址 / 电话 / 办公时间 / 说明 as a list. */
export function officeDetails(o) {
  const row = (k, v) => el('div', {}, el('dt', {}, k), el('dd', {}, v));
  return [el('p', { class: 'office-name' }, o.name),
          el('dl', { class: 'summary-list compact' }, row('地址', o.address), row('电话', o.phone),
             row('办公时间', o.hours), o.note ? row('说明', o.note) : null)];
}
