/** Instruments as every screen reads them: one by id, and the directory that names ids. */
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap, type components } from "../api/client";

export type Instrument = components["schemas"]["InstrumentOut"];
type InstrumentPage = components["schemas"]["Page_InstrumentOut_"];

const PAGE_SIZE = 200;

/** The query key of one instrument (shared by the trade and issuer screens, so an edit shows in both). */
export const instrumentKey = (id: string) => ["instruments", "detail", id] as const;

/** One instrument (GET /api/v1/instruments/{id}). */
export const instrumentQuery = (id: string) =>
  queryOptions({
    queryKey: instrumentKey(id),
    queryFn: () => unwrap(api.GET("/api/v1/instruments/{instrument_id}", { params: { path: { instrument_id: id } } })),
  });

/** Every instrument I may see (GET /api/v1/instruments, all pages). */
async function fetchAllInstruments(): Promise<Instrument[]> {
  const all: Instrument[] = [];
  let cursor: string | null = null;
  do {
    const page: InstrumentPage = await unwrap(
      api.GET("/api/v1/instruments", { params: { query: { limit: PAGE_SIZE, cursor } } }),
    );
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

/** The instruments by id (module-level so TanStack Query memoises the selection). */
function indexById(list: Instrument[]): Map<string, Instrument> {
  return new Map(list.map((instrument) => [instrument.id, instrument]));
}

/** Query options of the instrument directory: ids resolve to names and ISINs from one cached read. */
const directoryQuery = {
  queryKey: ["instruments", "directory"],
  queryFn: fetchAllInstruments,
  staleTime: 5 * 60_000,
} as const;

/** Every instrument I may see (for filters). */
export function useInstrumentList() {
  return useQuery(directoryQuery);
}

/** Instruments by id (for resolving the ids in orders and trades). */
export function useInstrumentIndex() {
  return useQuery({ ...directoryQuery, select: indexById });
}
