import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import { type Plugin, createSchema, createYoga } from 'graphql-yoga';
import type { ApiDeps } from '../http/deps.js';
import { requestId } from '../http/errors.js';
import type { Logger } from '../shared/logger.js';
import { type GraphQLContext, contextFor } from './context.js';
import { maskError, requestError } from './errors.js';
import { Mutation } from './resolvers/mutation.js';
import { Query } from './resolvers/query.js';
import { typeResolvers } from './resolvers/types.js';
import { typeDefs } from './schema.js';

/**
 * GraphQL at /graphql with GraphQL Yoga (The Guild: maintained, spec-compliant GraphQL over
 * HTTP, error masking built in) and GraphQL Armor's limits (depth, cost, aliases, tokens, no
 * field suggestions to map the schema). It sits behind the REST API's authentication and rate
 * limits (http/app.ts).
 */
export const GRAPHQL_LIMITS = { maxDepth: 8, maxCost: 20_000, maxAliases: 15, maxTokens: 2_000 } as const;

export const graphqlSchema = createSchema<GraphQLContext>({ typeDefs, resolvers: { Query, Mutation, ...typeResolvers } });

type ServerContext = { req: Request; res: Response };

/** Every error carries a seed 004 code and the request id, request errors included. */
const errorCodes = (): Plugin<ServerContext> => ({
  onResultProcess({ result, setResult, serverContext }) {
    if (Array.isArray(result) || !('errors' in result) || !result.errors?.length) return;
    const id = requestId((serverContext as unknown as ServerContext).res);
    const errors = result.errors.map((e) => {
      const coded = e instanceof GraphQLError ? requestError(e) : e;
      if (!(coded instanceof GraphQLError)) return coded;
      const { nodes, source, positions, path } = coded;
      return new GraphQLError(coded.message, { nodes, source, positions, path, originalError: coded.originalError, extensions: { ...coded.extensions, request_id: id } });
    });
    setResult({ ...result, errors });
  },
});

export function createGraphQLHandler(deps: ApiDeps, log: Logger) {
  return createYoga<ServerContext, GraphQLContext>({
    schema: graphqlSchema,
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: false,
    context: ({ req, res }) => contextFor(deps, req, res),
    maskedErrors: { maskError: maskError(log) },
    plugins: [
      maxDepthPlugin({ n: GRAPHQL_LIMITS.maxDepth, flattenFragments: true }),
      costLimitPlugin({ maxCost: GRAPHQL_LIMITS.maxCost }),
      maxAliasesPlugin({ n: GRAPHQL_LIMITS.maxAliases }),
      maxTokensPlugin({ n: GRAPHQL_LIMITS.maxTokens }),
      blockFieldSuggestionsPlugin(),
      errorCodes(),
    ],
  });
}
