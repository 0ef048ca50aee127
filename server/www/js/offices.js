/*
 * offices.js - a management district's office (县区招办) as a candidate reads
 * it (GET /api/v1/districts/{code}/office, public): name, address, phone,
 * hours and note; fetched once per page and district. When none is on record
 * the API's sentence says where to ask.
 */
import { get } from './api.js';
import { el } from './layout.js';

const cache = new Map();

export function office(code) {
  if (!cache.has(code)) cache.set(code, get(`/districts/${encodeURIComponent(code)}/office`));
  return cache.get(code);
}

/* A box headed "考籍管理区县：<where>" (heading level `level`) with the contact. */
export async function officeBox(district, level = 3) {
  const where = district ? `${district.city || ''}${district.name || ''}` : '';
  const box = el('div', { class: 'office' }, el(`h${level}`, {}, `考籍管理区县：${where}`));
  if (!district || !district.code) return box;
  try {
    const o = await office(district.code);
    box.append(el('p', { class: 'office-name' }, o.name),
               el('dl', { class: 'summary-list compact' },
                  el('div', {}, el('dt', {}, '地址'), el('dd', {}, o.address)),
                  el('div', {}, el('dt', {}, '电话'), el('dd', {}, o.phone)),
                  el('div', {}, el('dt', {}, '办公时间'), el('dd', {}, o.hours)),
                  o.note ? el('div', {}, el('dt', {}, '说明'), el('dd', {}, o.note)) : null));
  } catch (e) {
    box.append(el('p', {}, e.message));
  }
  return box;
}
