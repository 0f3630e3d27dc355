// @keyfold/client: the public API.
export {
  KeyfoldClient,
  DEFAULT_BASE_URL,
  type KeyfoldClientOptions,
  type CreateSessionRequest,
  type Session,
  type Layer,
  type ResolvedLayer,
  type VariableSpec,
  type RandomOperation,
  type KeyDraw,
} from './client.js';
export {
  type Key,
  type Seed,
  type Tensor,
  type Uint64Tensor,
  type AnyTensor,
  type Sample,
  tensorFromJson,
  tensorToJsonText,
} from './tensor.js';
export { encodeNpy, decodeNpy, decodeNpyAny } from './npy.js';
export { formatFloat32, parseFloat32 } from './float32.js';
export {
  KeyfoldError,
  KeyfoldConnectionError,
  InvalidArgumentError,
  UnauthenticatedError,
  NotFoundError,
  MethodNotAllowedError,
  NotAcceptableError,
  AlreadyExistsError,
  FailedPreconditionError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ResourceExhaustedError,
  InternalError,
  UnavailableError,
  ERROR_CODES,
  errorFromResponse,
} from './errors.js';
export type { components, paths } from './generated/openapi.js';
