/** ISIN validation (ISO 6166), as the server checks it: country, nine alphanumerics, a Luhn check digit. */

const SHAPE = /^[A-Z]{2}[A-Z0-9]{9}[0-9]$/;

/** The check digit for the first eleven characters of an ISIN (letters count as 10–35). */
export function isinCheckDigit(firstEleven: string): number {
  const digits = [...firstEleven].map((char) => parseInt(char, 36).toString()).join("");
  let total = 0;
  [...digits].reverse().forEach((char, position) => {
    let value = Number(char);
    if (position % 2 === 0) {
      value *= 2;
      if (value > 9) value -= 9;
    }
    total += value;
  });
  return (10 - (total % 10)) % 10;
}

/** Is `candidate` (upper case) a well-formed ISIN with the right check digit? */
export function isValidIsin(candidate: string): boolean {
  return SHAPE.test(candidate) && isinCheckDigit(candidate.slice(0, 11)) === Number(candidate[11]);
}
