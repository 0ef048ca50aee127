/*
 * table.js - a data table as the query pages show them (合格成绩, 专业计划,
 * 专业计划完成情况, 订单): a caption, a header row, and on a phone each row read
 * as a card, every cell after its column's name (css .table-cards).
 *
 * dataTable({caption, columns: [{label, num}], rows: [[cell, ...]], cards})
 * cells are text or nodes; num right-aligns a column of figures on a desktop.
 */
import { el } from './layout.js';

export function dataTable({ caption = null, columns, rows, cards = true }) {
  const head = el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', class: c.num ? 'num' : null },
                                                      c.label)));
  const body = rows.map((cells) => el('tr', {}, ...cells.map((cell, i) =>
    el('td', { 'data-label': columns[i].label, class: columns[i].num ? 'num' : null }, cell))));
  return el('table', { class: cards ? 'table-cards' : null },
            caption ? el('caption', {}, caption) : null,
            el('thead', {}, head), el('tbody', {}, ...body));
}
