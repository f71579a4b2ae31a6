/**
 * The part of the Reflect metadata API that @peculiar/x509 needs (through tsyringe, which refuses
 * to load without it): `defineMetadata`, `getOwnMetadata`, `getMetadata`. Installed only when no
 * polyfill (the `reflect-metadata` package) is present; import this module before @peculiar/x509.
 */
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

const own = (target: object, prop: Key, create: boolean) => {
  let byProp = store.get(target);
  if (!byProp && create) store.set(target, (byProp = new Map<Key, Map<unknown, unknown>>()));
  let map = byProp?.get(prop);
  if (!map && create && byProp) byProp.set(prop, (map = new Map<unknown, unknown>()));
  return map;
};

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, prop?: Key): void {
    own(target, prop, true)!.set(key, value);
  },
  getOwnMetadata(key: unknown, target: object, prop?: Key): unknown {
    return own(target, prop, false)?.get(key);
  },
  getMetadata(key: unknown, target: object, prop?: Key): unknown {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, prop, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") Object.assign(reflect, api);
