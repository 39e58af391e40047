// The time zones a schedule may use, as a list for pickers. Node's
// `Intl.supportedValuesOf("timeZone")` lists CLDR's names, and CLDR keeps
// the old spelling of renamed zones (Asia/Calcutta, Europe/Kiev,
// America/Buenos_Aires) while IANA, the CLI's users and their docs use the
// new one (Asia/Kolkata, Europe/Kyiv, America/Argentina/Buenos_Aires). Intl
// accepts both spellings, so both are valid; the list offers the current one.
// Pure: no IO, the same answer for the same runtime.

/**
 * CLDR names whose IANA name changed, with the current name: the `iana`
 * aliases of CLDR's timezone.xml. A runtime whose list already has the new
 * name simply never meets the old one.
 */
export const RENAMED_ZONES: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Coral_Harbour": "America/Atikokan",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Louisville": "America/Kentucky/Louisville",
  "America/Mendoza": "America/Argentina/Mendoza",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

/** A zone's current IANA spelling ("Asia/Calcutta" → "Asia/Kolkata"); other names unchanged. */
export function currentZoneName(zone: string): string {
  return RENAMED_ZONES[zone] ?? zone;
}

let cached: string[] | undefined;

/** Every zone in its current IANA spelling, sorted, with UTC; what an editor offers. */
export function listTimezones(): string[] {
  if (cached) return [...cached];
  const runtime = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const names = new Set(runtime.map(currentZoneName));
  names.add("UTC");
  cached = [...names].sort((a, b) => a.localeCompare(b));
  return [...cached];
}
