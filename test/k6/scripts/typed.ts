// TypeScript runs as is: types are stripped by the bundler.
import { check } from 'k6';
import http, { type RefinedResponse } from 'k6/http';

interface Crocodile {
  id: number;
  name: string;
}

export const options = { vus: 1, iterations: 2 };

function crocodiles(): Crocodile[] {
  const res: RefinedResponse<'text'> = http.get(
    'https://test-api.k6.io/public/crocodiles/'.replace('https', 'http'),
  );
  return res.json() as unknown as Crocodile[];
}

export default function (): void {
  const list = crocodiles();
  check(list, { 'has crocodiles': (l) => l.length > 0 && typeof l[0]?.name === 'string' });
}
