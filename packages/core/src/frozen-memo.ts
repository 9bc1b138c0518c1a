/**
 * `compute()`, remembered per frozen object: the hot path hands the same frozen object (a cached
 * key's scopes or limit, a role's scopes) to every request, so the work is done once. An
 * unfrozen object could change under the memo, so for it the work is done every time.
 *
 * @example
 * const expanded = new WeakMap<readonly string[], Set<string>>();
 * rememberedFor(record.scopes, expanded, () => expand(record.scopes));
 */
export function rememberedFor<K extends object, V>(key: K, memo: WeakMap<K, V>, compute: () => V): V {
  if (!Object.isFrozen(key)) return compute();
  let value = memo.get(key);
  if (value === undefined) memo.set(key, (value = compute()));
  return value;
}
