/* offices.js (page) - 考籍管理区县联系方式 (offices.html, public): a district
 * chosen (the candidate's own when logged in), its office's address, phone,
 * hours and note (GET /api/v1/districts/{code}/office), or the API's sentence
 * when none is on record. */
import { Form } from '../form.js';
import { el, page } from '../layout.js';
import { districtOffice, officeDetails } from '../offices.js';
import { districtText, fillDistricts } from '../regions.js';

page(async ({ me }) => {
  const select = document.querySelector('#district');
  await fillDistricts(select);
  const result = document.querySelector('[data-result]');
  const form = new Form(document.querySelector('[data-form]'), {
    submit: async ({ district }) => {
      result.replaceChildren();
      let office;
      try {
        office = await districtOffice(district);
      } catch (e) {
        if (e.field === 'code') e.field = 'district'; // the API names its path's code
        throw e;
      }
      result.replaceChildren(el('section', { class: 'office', 'aria-labelledby': 'h-office' },
                                el('h2', { id: 'h-office' }, districtText(select)),
                                ...officeDetails(office)));
    },
  });
  if (me && me.district) {
    select.value = me.district.code;
    await form.run();
  }
});
