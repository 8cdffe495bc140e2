/** Request and response schemas of the endpoint-profile routes (/api/profiles). */
import Type, { type Static } from 'typebox';
import { Nullable } from './records.ts';
import type { EndpointProfile } from '../types.ts';

/** A profile with where its calls go from this server and whether they can be made (never the key). */
export const ProfileSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), baseUrl: Nullable(Type.String()), apiKeyEnv: Type.String(), model: Type.String(),
  rpm: Nullable(Type.Number()), tpm: Nullable(Type.Number()), maxReplyBytes: Nullable(Type.Integer()),
  createdAt: Type.String(), updatedAt: Type.String(), versions: Type.Integer(),
  /** the URL calls go to (baseUrl, else OPENAI_BASE_URL, else the OpenAI API) */
  resolvedBaseUrl: Type.String(),
  /** the key variable is set — reported only for a name bound to the URL by the secrets rule */
  keyPresent: Type.Boolean(),
  /** why its key may not go to its URL (the rule and the setting to change), else null */
  problem: Nullable(Type.String()),
  /** calls can be made from this server (the key may go there and, where one is needed, is set) */
  configured: Type.Boolean(),
});
export type ProfileOut = Static<typeof ProfileSchema>;

const name = Type.String({ minLength: 1, maxLength: 100 });
const fields = {
  /** null or '' = OPENAI_BASE_URL, else the OpenAI API */
  baseUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  /** the environment variable holding the key; '' or "none" = the endpoint needs no key */
  apiKeyEnv: Type.Optional(Type.String({ maxLength: 200 })),
  model: Type.Optional(Type.String({ maxLength: 200 })),
  rpm: Type.Optional(Nullable(Type.Number({ minimum: 0.001, maximum: 1e12 }))),
  tpm: Type.Optional(Nullable(Type.Number({ minimum: 0.001, maximum: 1e12 }))),
  maxReplyBytes: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2 ** 31 }))),
};
/** POST /profiles */
export const NewProfileBody = Type.Object({ name, ...fields });
export type NewProfileBody = Static<typeof NewProfileBody>;
/** PUT /profiles/:id: the fields to change (others stay) */
export const UpdateProfileBody = Type.Object({ name: Type.Optional(name), ...fields });
export type UpdateProfileBody = Static<typeof UpdateProfileBody>;

/** POST /profiles/:id/test */
export const TestConnectionBody = Type.Object({ model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });
export type TestConnectionBody = Static<typeof TestConnectionBody>;

/** The outcome of one real call through a profile: the reply, or the error with a hint. */
export const ConnectionTestSchema = Type.Object({
  ok: Type.Boolean(), profile: Type.String(), baseUrl: Type.String(), model: Type.String(),
  reply: Nullable(Type.String()),
  /** the endpoint's HTTP status (null: no answer, or refused before any call) */
  status: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  /** what to check, e.g. "check the API key in $VAR" */
  hint: Nullable(Type.String()),
  latencyMs: Nullable(Type.Integer()),
});
export type ConnectionTest = Static<typeof ConnectionTestSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ProfileSchemaChecks = Assert<Same<Omit<ProfileOut, 'resolvedBaseUrl' | 'keyPresent' | 'problem' | 'configured'>, EndpointProfile>>;
