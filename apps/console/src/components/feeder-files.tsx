'use client';
// One file input per feeder the scenario defines: the rows are read here, in the browser,
// and saved with the version, as the CLI does from the author's disk.
import { useState } from 'react';
import { type FeederRows, parseFeederCsv } from '@/lib/feeder-csv';

export function FeederFiles({
  feeders,
  rows,
  onRows,
}: {
  feeders: Array<{ name: string; file: string }>;
  rows: Record<string, FeederRows>;
  onRows: (name: string, rows: FeederRows | undefined) => void;
}) {
  const [problems, setProblems] = useState<Record<string, string>>({});
  if (feeders.length === 0) return null;
  const read = async (name: string, file: File | undefined) => {
    if (!file) return;
    const parsed = parseFeederCsv(await file.text(), file.name);
    setProblems((p) => ({ ...p, [name]: parsed.ok ? '' : parsed.message }));
    onRows(name, parsed.ok ? parsed.rows : undefined);
  };
  return (
    <fieldset className="feeders" data-testid="feeder-files">
      <legend>Feeder data</legend>
      <p className="muted">
        The rows are stored with the version and dealt across agents; pick the CSV file each feeder
        names.
      </p>
      {feeders.map((f) => {
        const loaded = rows[f.name];
        const problem = problems[f.name];
        const hint = `feeder-${f.name}-hint`;
        return (
          <div key={f.name} className="feeder">
            <label>
              {f.name} <span className="muted">({f.file || 'CSV'})</span>
              <input
                type="file"
                accept=".csv,text/csv"
                aria-describedby={hint}
                aria-invalid={problem ? true : undefined}
                onChange={(e) => void read(f.name, e.target.files?.[0])}
              />
            </label>
            <span id={hint} className={problem ? 'problem' : 'muted'} role="status">
              {problem
                ? problem
                : loaded
                  ? `${loaded.length.toLocaleString('en-US')} rows (${Object.keys(loaded[0] ?? {}).join(', ')})`
                  : "no rows chosen: a new scenario needs them; a new version keeps the last version's rows for the same file"}
            </span>
          </div>
        );
      })}
    </fieldset>
  );
}
