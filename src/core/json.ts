/** A JSON value, as tenant metadata and task arguments are stored. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
