/* staff-accounts.js - 工作人员账号 (province administrators act, other
 * province staff and auditors read): every account with its office and
 * state; a new account's temporary password shown once; disable, enable,
 * reset a password or a lost second factor (GET/POST /staff/accounts...). */
import { Form } from '../form.js';
import { el, showMessage } from '../layout.js';
import { fillDistricts } from '../regions.js';
import { dataTable } from '../table.js';
import { sget, spost, staffPage, ROLE_NAMES, when } from '../staff.js';

const ACTIONS = { disable: '停用', enable: '启用', 'reset-password': '重置密码', 'reset-totp': '重置验证器' };

async function list(admin) {
  const { staff } = await sget('/accounts');
  const rows = staff.map((s) => {
    const buttons = el('div', { class: 'actions' });
    if (admin) {
      for (const [action, text] of Object.entries(ACTIONS)) {
        if ((action === 'disable' && s.disabled) || (action === 'enable' && !s.disabled)) continue;
        const b = el('button', { type: 'button', class: 'secondary' }, text, el('span', { class: 'visually-hidden' }, ` ${s.username}`));
        b.addEventListener('click', async () => {
          b.disabled = true;
          try {
            const r = await spost(`/accounts/${s.id}/${action}`);
            showMessage(r.temporary_password ? `${s.name}的临时密码：${r.temporary_password}（只显示这一次，请当面告知本人）` : `已${text}：${s.name}。`);
            await list(admin);
          } catch (e) {
            showMessage(e.message, 'error');
            b.disabled = false;
          }
        });
        buttons.append(b);
      }
    }
    return [s.username, s.name, ROLE_NAMES[s.role] + (s.is_admin ? '（管理员）' : ''),
            s.district_name || s.point_name || '—',
            s.disabled ? '已停用' : !s.enrolled ? '未绑定验证器' : s.password_must_change ? '待改临时密码' : '正常',
            when(s.created_at), admin ? buttons : ''];
  });
  document.querySelector('[data-list]').replaceChildren(dataTable({
    caption: '工作人员账号',
    columns: ['用户名', '姓名', '角色', '所属单位', '状态', '创建时间', '操作'].map((label) => ({ label })),
    rows,
  }));
}

staffPage(async ({ staff }) => {
  const admin = staff.is_admin;
  if (admin) {
    document.querySelector('[data-admin]').hidden = false;
    await fillDistricts(document.getElementById('district'));
    new Form(document.querySelector('[data-create]'), {
      async submit(v) {
        const body = { username: v.username.toLowerCase(), name: v.name, role: v.role };
        if (v.role === 'district') body.district = v.district;
        const r = await spost('/accounts', body);
        document.querySelector('[data-created]').replaceChildren(el('div', { class: 'notice', role: 'status' },
          el('p', {}, `已新建 ${r.staff.name}（${r.staff.username}）。临时密码：`, el('strong', { class: 'secret' }, r.temporary_password)),
          el('p', {}, '临时密码只显示这一次，请当面告知本人。首次登录时需绑定身份验证器并设置自己的密码。')));
        await list(admin);
      },
    });
  }
  await list(admin);
});
