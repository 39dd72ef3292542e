/** The markets screen's ordering of credit ratings. */
const RATING_ORDER = ["SOV", "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-", "B+", "B", "B-", "C", "D"];

/** Ratings from best to worst (unknown scales last, alphabetically). */
export function sortRatings(ratings: Iterable<string>): string[] {
  const rank = (rating: string) => {
    const index = RATING_ORDER.indexOf(rating.toUpperCase());
    return index < 0 ? RATING_ORDER.length : index;
  };
  return [...new Set(ratings)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
