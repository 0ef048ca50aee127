/*
 * regions.js - the management districts (考籍管理区县) of the province this
 * service is for (GET /api/v1/province, then GET /api/v1/regions/{code}/children
 * for its cities and each city's districts), as one <select>: a group per
 * city, an option per district (value: its 6-digit code).
 */
import { get, province } from './api.js';
import { el } from './layout.js';

export async function fillDistricts(select) {
  const p = await province();
  const cities = (await get(`/regions/${p.code}/children`)).items;
  const districts = await Promise.all(cities.map((c) => get(`/regions/${c.code}/children`)));
  cities.forEach((city, i) => {
    const group = el('optgroup', { label: city.name });
    for (const d of districts[i].items) {
      group.append(el('option', { value: d.code, 'data-city': city.name }, d.name));
    }
    select.append(group);
  });
}

/* "太原市 小店区" for the chosen option, or ''. */
export function districtText(select) {
  const o = select.selectedOptions[0];
  if (!o || !o.value) return '';
  return `${o.dataset.city} ${o.textContent}`;
}
