export interface Product {
  id: number;
  name: string;
  priceCents: number;
  stock: number;
}

const ADJECTIVES = ['Classic', 'Smart', 'Eco', 'Pro', 'Mini', 'Ultra', 'Travel', 'Home'];
const NOUNS = ['Kettle', 'Backpack', 'Lamp', 'Headphones', 'Mug', 'Jacket', 'Blender', 'Watch'];

/** A deterministic catalogue, so runs against the demo are comparable. */
export function makeCatalogue(size: number): Product[] {
  return Array.from({ length: size }, (_, i) => ({
    id: i + 1,
    name: `${ADJECTIVES[i % ADJECTIVES.length]} ${NOUNS[(i * 7) % NOUNS.length]} ${i + 1}`,
    priceCents: 499 + ((i * 7919) % 20_000),
    stock: 50 + ((i * 104_729) % 950),
  }));
}
