/*
 * captcha.js - the picture captcha (GET /api/v1/captcha) beside its input.
 *
 * Markup, inside a .field with the input named "captcha":
 *   <span class="captcha" data-captcha><img alt="图形验证码图片" hidden>
 *     <button type="button" class="secondary">换一张</button></span>
 * The picture is shown at the width x height CSS pixels the API gives (it is
 * drawn at twice that for sharp screens). An answer is consumed by its first
 * use, right or wrong: take() hands out {captcha_id, captcha} and fetches the
 * next picture at once, clearing the input.
 */
import { get } from './api.js';

export class Captcha {
  constructor(root) {
    this.root = root;
    this.img = root.querySelector('img');
    this.button = root.querySelector('button');
    this.input = root.closest('.field').querySelector('input');
    this.id = null;
    this.status = root.closest('.field').querySelector('[data-captcha-status]');
    this.button.addEventListener('click', () => this.refresh(true));
  }

  async refresh(byHand = false) {
    this.button.disabled = true;
    try {
      const c = await get('/captcha');
      this.id = c.captcha_id;
      this.img.width = c.width;
      this.img.height = c.height;
      this.img.src = c.image;
      this.img.hidden = false;
      this.input.value = '';
      if (this.status) this.status.textContent = byHand ? '已换一张图片' : '';
    } catch (e) {
      this.id = null;
      if (this.status) this.status.textContent = e.message;
    } finally {
      this.button.disabled = false;
    }
    if (byHand) this.input.focus();
  }

  /* The answer typed for the picture shown; the next picture is fetched. */
  take() {
    const answer = { captcha_id: this.id || '', captcha: this.input.value.trim() };
    this.refresh();
    return answer;
  }
}
