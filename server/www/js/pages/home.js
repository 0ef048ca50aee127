/* home.js - the home page: entries for logging in, registering and activating,
 * and every business window with its dates (GET /api/v1/windows). */
import { get } from '../api.js';
import { page } from '../layout.js';
import { windowList } from '../windows.js';

page(async ({ me }) => {
  document.querySelector('[data-signed-in]').hidden = !me;
  document.querySelector('[data-signed-out]').hidden = !!me;
  const { items } = await get('/windows');
  document.querySelector('[data-windows]').replaceChildren(windowList(items));
});
