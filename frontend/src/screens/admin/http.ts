import { accessToken } from "../../api/client";
import { ApiProblem } from "../../api/problem";

/**
 * GET with the session's token, for answers the typed client cannot describe (binary documents,
 * or endpoints not yet in the OpenAPI document); throws the problem of a failed response.
 */
export async function authorizedGet(path: string): Promise<Response> {
  const token = await accessToken();
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw ApiProblem.from(response.status, await response.json().catch(() => null));
  return response;
}
