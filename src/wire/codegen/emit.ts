/**
 * Emits one TypeScript module per API (request + response) or per header/data
 * spec: an interface per struct, and straight-line read/write functions gated
 * by `if (v >= N)`, in the style of franz-go's kmsg. No spec `about` text is
 * copied. Conventions other code relies on:
 *  - type names are `<MessageName><StructName>` (struct names repeat across files);
 *  - a field is optional in the interface iff it is tagged or absent from some
 *    version the struct can appear in; decoders always set every field;
 *  - encoders treat `undefined` as the field's default;
 *  - int64 is bigint, uuid a base64url string, bytes/records Buffer subarrays.
 */
import {
  type Field, type MessageSpec, type Range, type StructSpec,
  collectStructs, covers, elementType, intersect, isEmpty, isStructType,
} from './spec.js';

export function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

class Out {
  lines: string[] = [];
  private depth = 0;
  line(text = ''): void { this.lines.push(text ? '  '.repeat(this.depth) + text : ''); }
  open(text: string): void { this.line(text); this.depth++; }
  close(text = '}'): void { this.depth--; this.line(text); }
}

/** A runtime condition for "v is in `want`" given that v is already known to be in `ctx`; null when always true. */
function versionCond(want: Range, ctx: Range): string | null {
  const r = intersect(want, ctx);
  if (isEmpty(r)) return 'false';
  const parts: string[] = [];
  if (r.lo > ctx.lo) parts.push(`v >= ${r.lo}`);
  if (r.hi < ctx.hi) parts.push(`v <= ${r.hi}`);
  return parts.length ? parts.join(' && ') : null;
}

const NUMERIC: Record<string, string> = { int8: 'int8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32', float64: 'float64' };

class MessageEmitter {
  readonly structs: Map<string, StructSpec>;
  readonly flexible: Range;

  constructor(readonly msg: MessageSpec, readonly out: Out) {
    this.structs = collectStructs(msg);
    this.flexible = msg.flexibleVersions;
  }

  typeName(structName: string): string {
    return structName === this.msg.name ? this.msg.name : `${this.msg.name}${structName}`;
  }

  private nullableSomewhere(f: Field, ctx: Range): boolean {
    return !isEmpty(intersect(f.nullableVersions, intersect(f.versions, ctx)));
  }

  tsType(f: Field, ctx: Range): string {
    const el = elementType(f.type);
    const base = (t: string): string => {
      switch (t) {
        case 'bool': return 'boolean';
        case 'int64': return 'bigint';
        case 'string': return 'string';
        case 'bytes': return 'Buffer';
        case 'records': return 'Buffer | null';
        case 'uuid': return 'Uuid';
        default: return NUMERIC[t] ? 'number' : this.typeName(t);
      }
    };
    let t = el ? `${base(el).includes('|') ? `(${base(el)})` : base(el)}[]` : base(f.type);
    if (this.nullableSomewhere(f, ctx) && !t.endsWith('| null')) t += ' | null';
    return t;
  }

  /** The default value as a TypeScript expression. */
  defaultExpr(f: Field): string {
    const d = f.default;
    if (d === 'null') return 'null';
    const el = elementType(f.type);
    if (el) return '[]';
    switch (f.type) {
      case 'bool': return d === undefined ? 'false' : String(d === 'true');
      case 'int64': return `${d === undefined ? 0n : BigInt(d)}n`;
      case 'string': return JSON.stringify(d ?? '');
      case 'bytes': return 'EMPTY_BYTES';
      case 'records': return 'null';
      case 'uuid': return 'ZERO_UUID';
      default:
        if (NUMERIC[f.type]) return String(d === undefined ? 0 : Number(d));
        return `default${this.typeName(f.type)}()`;
    }
  }

  /** An expression that is true when `x` (possibly undefined) differs from the field's default. */
  nonDefault(f: Field, x: string): string {
    const d = this.defaultExpr(f);
    if (elementType(f.type)) return d === 'null' ? `${x} != null` : `${x} != null && ${x}.length > 0`;
    if (f.type === 'bytes' || f.type === 'records') return d === 'null' ? `${x} != null` : `${x} != null && ${x}.length > 0`;
    if (isStructType(f.type)) return d === 'null' ? `${x} != null` : 'false';
    return `${x} !== undefined && ${x} !== ${d}`;
  }

  private flexExpr(f: Field | undefined, ctx: Range): string {
    if (f?.flexibleVersions && isEmpty(f.flexibleVersions)) return 'false';
    const c = versionCond(this.flexible, ctx);
    return c === null ? 'true' : c === 'false' ? 'false' : 'flexible';
  }

  /** Reads one value of primitive type `t` (`flex` a TS boolean expression, `nullable` one too). */
  readPrimitive(t: string, flex: string, nullable: string): string {
    const pick = (compact: string, plain: string) => (flex === 'true' ? compact : flex === 'false' ? plain : `${flex} ? ${compact} : ${plain}`);
    const nn = (kind: string) => {
      const cap = kind[0]!.toUpperCase() + kind.slice(1);
      const nullableForm = pick(`r.compactNullable${cap}()`, `r.nullable${cap}()`);
      const strictForm = pick(`r.compact${cap}()`, `r.${kind}()`);
      return nullable === 'true' ? nullableForm : nullable === 'false' ? strictForm : `(${nullable}) ? ${nullableForm} : ${strictForm}`;
    };
    switch (t) {
      case 'bool': return 'r.bool()';
      case 'int64': return 'r.int64()';
      case 'uuid': return 'r.uuid()';
      case 'string': return nn('string');
      case 'bytes': return nn('bytes');
      case 'records': return pick('r.compactNullableBytes()', 'r.nullableBytes()');
      default: return `r.${NUMERIC[t]}()`;
    }
  }

  writePrimitive(t: string, x: string, flex: string, nullable: string, what: string): string {
    const pick = (compact: string, plain: string) => (flex === 'true' ? compact : flex === 'false' ? plain : `if (${flex}) ${compact}; else ${plain};`);
    const stmt = (s: string) => (s.startsWith('if (') ? s : `${s};`);
    switch (t) {
      case 'bool': return `w.bool(${x});`;
      case 'int64': return `w.int64(${x});`;
      case 'uuid': return `w.uuid(${x});`;
      case 'string':
      case 'bytes':
      case 'records': {
        const cap = t === 'string' ? 'String' : 'Bytes';
        const guard = nullable === 'true' || t === 'records' ? '' : nullable === 'false' ? `if (${x} === null) throw new Error('${what} is not nullable in v' + v); ` : `if (${x} === null && !(${nullable})) throw new Error('${what} is not nullable in v' + v); `;
        return guard + stmt(pick(`w.compactNullable${cap}(${x})`, `w.nullable${cap}(${x})`));
      }
      default: return `w.${NUMERIC[t]}(${x});`;
    }
  }

  /** Condition for nullability of f in the current version, relative to ctx (the range where f is present). */
  nullableCond(f: Field, ctx: Range): string {
    const present = intersect(f.versions, ctx);
    return versionCond(f.nullableVersions, present) ?? 'true';
  }

  emitStruct(s: StructSpec): void {
    const o = this.out;
    const name = this.typeName(s.name);
    const ctx = s.versions;
    const hasFlex = !isEmpty(intersect(this.flexible, ctx));
    // Interface
    o.open(`export interface ${name} {`);
    for (const f of s.fields) {
      const present = intersect(f.versions, ctx);
      const optional = f.tag !== undefined || !covers(present, ctx) || isEmpty(present);
      o.line(`${camel(f.name)}${optional ? '?' : ''}: ${this.tsType(f, ctx)};`);
    }
    if (hasFlex) o.line('unknownTaggedFields?: TaggedField[];');
    o.close();
    o.line();
    // Defaults
    o.open(`export function default${name}(): ${name} {`);
    o.line(`return { ${s.fields.map((f) => `${camel(f.name)}: ${this.defaultExpr(f)}`).join(', ')} };`);
    o.close();
    o.line();
    this.emitRead(s, name, ctx, hasFlex);
    this.emitWrite(s, name, ctx, hasFlex);
  }

  private readValue(f: Field, t: string, flex: string, nullable: string, reader = 'r'): string {
    const expr = isStructType(t) ? `read${this.typeName(t)}(r, v)` : this.readPrimitive(t, flex, nullable);
    return reader === 'r' ? expr : expr.replace(/\br\./g, `${reader}.`).replace(/\(r, v\)/g, `(${reader}, v)`);
  }

  private emitReadField(f: Field, local: string, ctx: Range, flex: string, reader: string): void {
    const o = this.out;
    const present = intersect(f.versions, ctx);
    const nullable = this.nullableCond(f, ctx);
    const el = elementType(f.type);
    const R = reader;
    if (el) {
      o.open('{');
      o.line(`const n = ${flex === 'true' ? `${R}.compactArrayLength()` : flex === 'false' ? `${R}.arrayLength()` : `${flex} ? ${R}.compactArrayLength() : ${R}.arrayLength()`};`);
      if (nullable === 'true') o.line(`if (n < 0) ${local} = null;`);
      else if (nullable === 'false') o.line(`if (n < 0) ${R}.fail('non-nullable array ${f.name} is null');`);
      else o.line(`if (n < 0) { if (${nullable}) ${local} = null; else ${R}.fail('non-nullable array ${f.name} is null'); }`);
      o.open('else {');
      o.line(`const a: ${this.tsType({ ...f, nullableVersions: { lo: 1, hi: 0 } }, present)} = new Array(n);`);
      o.line(`for (let i = 0; i < n; i++) a[i] = ${this.readValue(f, el, flex, 'false', R)};`);
      o.line(`${local} = a;`);
      o.close();
      o.close();
    } else if (isStructType(f.type)) {
      if (nullable === 'false') o.line(`${local} = read${this.typeName(f.type)}(${R}, v);`);
      else o.line(`${local} = ${nullable === 'true' ? '' : `!(${nullable}) || `}${R}.int8() >= 0 ? read${this.typeName(f.type)}(${R}, v) : null;`);
    } else {
      o.line(`${local} = ${this.readValue(f, f.type, flex, nullable, R)};`);
    }
  }

  emitRead(s: StructSpec, name: string, ctx: Range, hasFlex: boolean): void {
    const o = this.out;
    o.open(`function read${name}(r: Reader, v: number): ${name} {`);
    if (hasFlex && this.flexExpr(undefined, ctx) === 'flexible') o.line(`const flexible = ${versionCond(this.flexible, ctx)};`);
    const flex = this.flexExpr(undefined, ctx);
    for (const f of s.fields) o.line(`let ${camel(f.name)}_: ${this.tsType(f, ctx)} = ${this.defaultExpr(f)};`);
    if (hasFlex) o.line('let unknownTaggedFields: TaggedField[] | undefined;');
    for (const f of s.fields) {
      if (f.tag !== undefined) continue;
      const present = intersect(f.versions, ctx);
      if (isEmpty(present)) continue;
      const cond = versionCond(present, ctx);
      const fflex = this.flexExpr(f, present);
      if (cond) o.open(`if (${cond}) {`);
      this.emitReadField(f, `${camel(f.name)}_`, present, fflex === 'flexible' ? 'flexible' : fflex, 'r');
      if (cond) o.close();
    }
    if (hasFlex) {
      const tagged = s.fields.filter((f) => f.tag !== undefined);
      const wrap = flex === 'flexible' ? 'if (flexible) ' : '';
      if (tagged.length === 0) {
        o.line(`${wrap}unknownTaggedFields = readUnknownTaggedFields(r);`);
      } else {
        o.open(`${wrap}{`);
        o.line('const count = r.uvarint();');
        o.open('for (let i = 0; i < count; i++) {');
        o.line('const tag = r.uvarint();');
        o.line('const size = r.uvarint();');
        let first = true;
        for (const f of tagged) {
          const tv = intersect(f.taggedVersions, intersect(f.versions, ctx));
          if (isEmpty(tv)) continue;
          const cond = versionCond(tv, ctx);
          o.open(`${first ? '' : '} else '}if (tag === ${f.tag}${cond ? ` && ${cond}` : ''}) {`);
          o.line('const t = r.sub(size);');
          this.emitReadField(f, `${camel(f.name)}_`, tv, 'true', 't');
          o.close('');
          o.lines.pop();
          first = false;
        }
        o.line(`${first ? '' : '} else '}{`);
        o.line('  (unknownTaggedFields ??= []).push({ tag, data: r.take(size) });');
        o.line('}');
        o.close();
        o.close();
      }
    }
    const fields = s.fields.map((f) => `${camel(f.name)}: ${camel(f.name)}_`);
    if (hasFlex) o.line(`const m: ${name} = { ${fields.join(', ')} };`);
    else o.line(`return { ${fields.join(', ')} };`);
    if (hasFlex) {
      o.line('if (unknownTaggedFields) m.unknownTaggedFields = unknownTaggedFields;');
      o.line('return m;');
    }
    o.close();
    o.line();
  }

  private writeValue(t: string, x: string, flex: string, nullable: string, what: string): string {
    return isStructType(t) ? `write${this.typeName(t)}(w, ${x}, v);` : this.writePrimitive(t, x, flex, nullable, what);
  }

  private emitWriteField(f: Field, x: string, ctx: Range, flex: string): void {
    const o = this.out;
    const nullable = this.nullableCond(f, ctx);
    const el = elementType(f.type);
    const what = f.name;
    if (el) {
      o.open('{');
      o.line(`const a = ${x} === undefined ? ${this.defaultExpr(f)} : ${x};`);
      const writeLen = (n: string) => (flex === 'true' ? `w.compactArrayLength(${n});` : flex === 'false' ? `w.arrayLength(${n});` : `if (${flex}) w.compactArrayLength(${n}); else w.arrayLength(${n});`);
      o.open('if (a === null) {');
      if (nullable === 'false') o.line(`throw new Error('${what} is not nullable in v' + v);`);
      else {
        if (nullable !== 'true') o.line(`if (!(${nullable})) throw new Error('${what} is not nullable in v' + v);`);
        o.line(writeLen('-1'));
      }
      o.close('} else {');
      o.line(`  ${writeLen('a.length')}`);
      o.line(`  for (const e of a) { ${this.writeValue(el, 'e', flex, 'true', what)} }`);
      o.line('}');
      o.close();
    } else if (isStructType(f.type)) {
      o.line(`const s = ${x} === undefined ? ${this.defaultExpr(f)} : ${x};`);
      if (nullable === 'false') {
        o.line(`if (s === null) throw new Error('${what} is not nullable in v' + v);`);
        o.line(`write${this.typeName(f.type)}(w, s, v);`);
      } else {
        if (nullable !== 'true') o.line(`if (s === null && !(${nullable})) throw new Error('${what} is not nullable in v' + v);`);
        o.line(`if (s === null) w.int8(-1); else { ${nullable === 'true' ? '' : `if (${nullable}) `}w.int8(1); write${this.typeName(f.type)}(w, s, v); }`);
      }
    } else {
      o.line(`const x = ${x} === undefined ? ${this.defaultExpr(f)} : ${x};`);
      o.line(this.writeValue(f.type, 'x', flex, nullable, what));
    }
  }

  emitWrite(s: StructSpec, name: string, ctx: Range, hasFlex: boolean): void {
    const o = this.out;
    o.open(`function write${name}(w: Writer, m: ${name}, v: number): void {`);
    const flex = this.flexExpr(undefined, ctx);
    if (hasFlex && flex === 'flexible') o.line(`const flexible = ${versionCond(this.flexible, ctx)};`);
    for (const f of s.fields) {
      const present = intersect(f.versions, ctx);
      const x = `m.${camel(f.name)}`;
      if (f.tag !== undefined) continue;
      const cond = isEmpty(present) ? 'false' : versionCond(present, ctx);
      // Fields outside their versions are skipped on write (STYLE 2): a handler may set them for all versions.
      if (cond === 'false') continue;
      if (cond) o.open(`if (${cond}) {`);
      const fflex = this.flexExpr(f, present);
      o.open('{');
      this.emitWriteField(f, x, present, fflex);
      o.close();
      if (cond) o.close();
    }
    if (hasFlex) {
      const tagged = s.fields.filter((f) => f.tag !== undefined && !isEmpty(intersect(f.taggedVersions, intersect(f.versions, ctx))));
      const wrap = flex === 'flexible' ? 'if (flexible) ' : '';
      if (tagged.length === 0) o.line(`${wrap}writeTaggedFields(w, m.unknownTaggedFields);`);
      else {
        o.open(`${wrap}{`);
        o.line('const tagged: TaggedField[] = m.unknownTaggedFields ? [...m.unknownTaggedFields] : [];');
        for (const f of tagged) {
          const tv = intersect(f.taggedVersions, intersect(f.versions, ctx));
          const cond = versionCond(tv, ctx);
          const x = `m.${camel(f.name)}`;
          // A struct is default when it encodes like its default (decoders fill absent tagged structs with it).
          const structDefault = this.nonDefault(f, x) === 'false';
          o.open(`if (${cond ? `${cond} && ` : ''}${structDefault ? `${x} !== undefined` : this.nonDefault(f, x)}) {`);
          o.line(`const value = ${x};`);
          o.open(`const data = encodeTagged((w) => {`);
          this.emitWriteField(f, 'value', tv, 'true');
          o.close('});');
          if (structDefault) o.line(`if (!data.equals(encodeTagged((w) => write${this.typeName(f.type)}(w, default${this.typeName(f.type)}(), v)))) tagged.push({ tag: ${f.tag}, data });`);
          else o.line(`tagged.push({ tag: ${f.tag}, data });`);
          o.close();
        }
        o.line('writeTaggedFields(w, tagged);');
        o.close();
      }
    }
    o.close();
    o.line();
  }
}

export interface EmittedFile { name: string; text: string }

const HEADER = "// Generated by src/wire/codegen from Apache Kafka's message specs; do not edit.\n";

function emitMessage(msg: MessageSpec, out: Out): void {
  const e = new MessageEmitter(msg, out);
  const all = [...e.structs.values()];
  // Top-level struct last so helper structs come first; order is the spec's (deterministic).
  for (const s of all) e.emitStruct(s);
  e.emitStruct({ name: msg.name, versions: msg.validVersions, fields: msg.fields });
  const { lo, hi } = msg.validVersions;
  out.open(`export function decode${msg.name}(r: Reader, version: number): ${msg.name} {`);
  out.line(`if (version < ${lo} || version > ${hi}) throw new DecodeError('${msg.name} has no version ' + version, r.pos);`);
  out.open('try {');
  out.line(`return read${msg.name}(r, version);`);
  out.close('} catch (err) {');
  out.line(`  throw err instanceof DecodeError ? err.within('${msg.name} v' + version) : err;`);
  out.line('}');
  out.close();
  out.line();
  out.open(`export function encode${msg.name}(w: Writer, m: ${msg.name}, version: number): void {`);
  out.line(`if (version < ${lo} || version > ${hi}) throw new Error('${msg.name} has no version ' + version);`);
  out.line(`write${msg.name}(w, m, version);`);
  out.close();
  out.line();
}

export function emitModule(messages: MessageSpec[]): string {
  const out = new Out();
  out.lines.push(HEADER.trimEnd());
  out.line("import { Reader } from '../protocol/reader.js';");
  out.line("import { Writer } from '../protocol/writer.js';");
  out.line("import { DecodeError } from '../protocol/decode-error.js';");
  out.line("import { type Uuid, ZERO_UUID } from '../protocol/uuid.js';");
  out.line("import { type TaggedField, readUnknownTaggedFields, writeTaggedFields, encodeTagged } from '../protocol/tagged-fields.js';");
  out.line();
  out.line('const EMPTY_BYTES = Buffer.alloc(0);');
  out.line('void ZERO_UUID; void EMPTY_BYTES; void readUnknownTaggedFields; void encodeTagged;');
  out.line();
  for (const m of messages) emitMessage(m, out);
  return out.lines.join('\n') + '\n';
}
