/* home.js - the home page: entries for logging in, registering and activating
 * (shown from the start, hidden once GET /me says who is logged in: no layout
 * shift for a visitor),
 * every business window with its dates (GET /api/v1/windows) and the
 * province's latest notices and registration guides (GET /api/v1/notices). */
import { get } from '../api.js';
import { page } from '../layout.js';
import { noticeList } from '../notices.js';
import { windowList } from '../windows.js';

page(async ({ me }) => {
  document.querySelector('[data-signed-in]').hidden = !me;
  document.querySelector('[data-signed-out]').hidden = !!me;
  const [{ items }, { notices }] = await Promise.all([get('/windows'), get('/notices?limit=10')]);
  document.querySelector('[data-windows]').replaceChildren(windowList(items));
  document.querySelector('[data-notices]').replaceChildren(noticeList(notices));
});
