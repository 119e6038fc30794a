/**
 * Which methods each path of the API accepts, so an unknown method on a known path answers 405
 * (with `Allow`) rather than 404. Built once from the HttpApi definition plus the raw routes.
 */
import { HttpApi, type HttpApiGroup } from "effect/http-api"

export interface RouteTable {
  /** The methods accepted on this URL's path; empty when no route has the path. */
  methodsFor(url: string): ReadonlyArray<string>
}

interface Route {
  readonly method: string
  readonly pattern: RegExp
}

const toPattern = (path: string) =>
  new RegExp(
    "^" +
      path.split("/").map((segment) =>
        segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      ).join("/") + "/?$"
  )

export const makeRouteTable = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extraRoutes: ReadonlyArray<{ readonly method: string; readonly path: string }>
): RouteTable => {
  const routes: Array<Route> = extraRoutes.map(({ method, path }) => ({ method, pattern: toPattern(path) }))
  HttpApi.reflect(api, {
    onGroup: () => undefined,
    onEndpoint: ({ endpoint }) => routes.push({ method: endpoint.method, pattern: toPattern(endpoint.path) })
  })
  return {
    methodsFor: (url) => {
      const path = url.split("?")[0]!.split("#")[0]!
      const methods = new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))
      if (methods.has("GET")) methods.add("HEAD")
      return [...methods].toSorted()
    }
  }
}
