// A table of rows under one header row: the lists' one shape. A head is its label, a number
// column's ({ num }), or one named only for screen readers ({ skip }).
import type { ReactNode } from 'react';

export type Head = string | { num: string } | { skip: string };

function HeadCell({ head }: { head: Head }) {
  if (typeof head === 'string') return <th>{head}</th>;
  if ('num' in head) return <th className="num">{head.num}</th>;
  return (
    <th>
      <span className="skip">{head.skip}</span>
    </th>
  );
}

const keyOf = (head: Head) =>
  typeof head === 'string' ? head : 'num' in head ? head.num : head.skip;

export function ListTable({
  testId,
  heads,
  caption,
  children,
}: {
  testId: string;
  heads: readonly Head[];
  caption?: ReactNode;
  /** the rows */
  children: ReactNode;
}) {
  return (
    <table data-testid={testId}>
      {caption ? <caption className="muted">{caption}</caption> : null}
      <thead>
        <tr>
          {heads.map((h) => (
            <HeadCell key={keyOf(h)} head={h} />
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
