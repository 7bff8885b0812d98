'use client';
// Users and their roles (an admin's): who may sign in, as what, where.
import { controlApi, type User } from '@loadline/api/http';
import { useState } from 'react';
import { ListState } from '@/components/bits';
import { ListTable } from '@/components/list-table';
import { useApi } from '@/lib/api';
import { when } from '@/lib/format';
import { UserForm } from './user-form';

export function UsersSection() {
  const list = useApi(controlApi.listUsers);
  const users = list.data?.users ?? [];
  const [editing, setEditing] = useState<User>();
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">Users</h2>
      <ListState loaded={list} what="users" count={users.length} empty="No user yet.">
        <ListTable
          testId="users-table"
          heads={['User', 'Role', 'Environments', 'Source', 'Last sign-in', { skip: 'Actions' }]}
        >
          {users.map((u) => (
            <tr key={u.name} data-testid={`user-${u.name}`} className={u.disabled ? 'revoked' : ''}>
              <td>
                <strong>{u.name}</strong>
                {u.disabled ? <span className="muted"> (disabled)</span> : null}
              </td>
              <td data-testid="user-role">{u.role}</td>
              <td>
                {u.role === 'admin'
                  ? 'all'
                  : u.role === 'operator'
                    ? u.environments.join(', ') || 'none'
                    : '–'}
              </td>
              <td>{u.source === 'oidc' ? 'single sign-on' : 'password'}</td>
              <td>{u.lastSignInAt ? when(u.lastSignInAt) : 'never'}</td>
              <td>
                <button type="button" onClick={() => setEditing(u)} aria-label={`Edit ${u.name}`}>
                  Edit
                </button>
              </td>
            </tr>
          ))}
        </ListTable>
      </ListState>
      <UserForm editing={editing} onSaved={list.reload} />
    </section>
  );
}
