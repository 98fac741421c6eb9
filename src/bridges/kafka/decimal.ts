import avro from 'avsc';

/**
 * Avro `bytes` with logicalType decimal ⇄ a canonical decimal string ("120000.00").
 *
 * The Avro spec stores the unscaled integer (120000.00 at scale 2 → 12000000) as big-endian
 * two's complement in the fewest bytes. Everything here runs on BigInt: a money value never
 * passes through a JS number. Writing refuses more fractional digits than the scale (rounding
 * money silently is worse than failing) and more digits than the precision.
 */
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;

export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;

  constructor(schema: avro.Schema, opts?: Partial<avro.ForSchemaOptions>) {
    super(schema, opts);
    const s = schema as { precision?: unknown; scale?: unknown };
    const precision = s.precision;
    const scale = s.scale ?? 0;
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new Error('decimal logical type needs an integer precision >= 1');
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error('decimal logical type needs an integer scale between 0 and the precision');
    }
    this.precision = precision;
    this.scale = scale;
  }

  /** Bytes → "123.45". */
  protected override _fromValue(buf: Buffer): string {
    return formatUnscaled(bytesToBigInt(buf), this.scale);
  }

  /** "123.45" → bytes; throws on anything that is not exactly representable. */
  protected override _toValue(value: unknown): Buffer {
    if (typeof value !== 'string') throw new Error(`decimal value must be a string, got ${typeof value}`);
    return bigIntToBytes(this.toUnscaled(value));
  }

  toUnscaled(text: string): bigint {
    const m = DECIMAL_TEXT.exec(text.trim());
    if (!m) throw new Error(`"${text}" is not a decimal number`);
    const [, sign, intPart, fraction = ''] = m as unknown as [string, string, string, string | undefined];
    if (fraction.length > this.scale && /[1-9]/.test(fraction.slice(this.scale))) {
      throw new Error(`"${text}" has more than ${this.scale} decimal places`);
    }
    const digits = (intPart + fraction.slice(0, this.scale).padEnd(this.scale, '0')).replace(/^0+(?=\d)/, '');
    if (digits.length > this.precision) throw new Error(`"${text}" exceeds decimal(${this.precision},${this.scale})`);
    const unscaled = BigInt(digits);
    return sign === '-' ? -unscaled : unscaled;
  }

  /**
   * A writer decimal with the same scale reads as is (precision may only grow). avsc hands us
   * what the writer type read, which for a DecimalType is already the decimal string.
   */
  protected override _resolve(type: avro.Type): ((value: string) => string) | undefined {
    if (type instanceof DecimalType && type.scale === this.scale && type.precision <= this.precision) {
      return (value: string) => value;
    }
    return undefined;
  }

  protected override _export(schema: avro.Schema): void {
    Object.assign(schema as object, { precision: this.precision, scale: this.scale });
  }
}

export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Big-endian two's complement → BigInt. */
export function bytesToBigInt(buf: Buffer): bigint {
  if (buf.length === 0) return 0n;
  let value = 0n;
  for (const byte of buf) value = (value << 8n) | BigInt(byte);
  // The top bit is the sign: subtract 2^(8n) for negatives.
  if ((buf[0]! & 0x80) !== 0) value -= 1n << BigInt(buf.length * 8);
  return value;
}

/** BigInt → big-endian two's complement in the fewest bytes that keep the sign. */
export function bigIntToBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(v & 0xffn);
    bytes.unshift(byte);
    v >>= 8n; // arithmetic shift: -1 stays -1
    const signBitSet = (byte & 0x80) !== 0;
    if ((v === 0n && !signBitSet) || (v === -1n && signBitSet)) break;
  }
  return Buffer.from(bytes);
}
