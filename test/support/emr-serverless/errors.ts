/** Errors the emulated service answers with, as EMR Serverless names them (rest-json error shapes). */

/** The error shapes of the EMR Serverless model, plus the ones every AWS JSON service can return. */
export type ServiceErrorName =
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ConflictException'
  | 'ServiceQuotaExceededException'
  | 'InternalServerException'
  | 'AccessDeniedException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'MissingAuthenticationTokenException'
  | 'InvalidSignatureException';

/** HTTP status of each error, as the model's `httpStatusCode` traits (and AWS's common errors) say. */
export const ERROR_STATUS: Readonly<Record<ServiceErrorName, number>> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  // The model gives 402 to ServiceQuotaExceededException (an odd but real choice).
  ServiceQuotaExceededException: 402,
  InternalServerException: 500,
  AccessDeniedException: 403,
  SerializationException: 400,
  UnknownOperationException: 404,
  MissingAuthenticationTokenException: 403,
  InvalidSignatureException: 403,
};

/** An error answer: the SDK turns `name` (the x-amzn-ErrorType header) into its exception class. */
export class ServiceError extends Error {
  readonly status: number;
  constructor(
    readonly errorName: ServiceErrorName,
    message: string,
  ) {
    // The model caps `message` at 1024 characters (String1024).
    super(message.length > 1024 ? `${message.slice(0, 1021)}...` : message);
    this.name = errorName;
    this.status = ERROR_STATUS[errorName];
  }
}

export const validationError = (message: string): ServiceError =>
  new ServiceError('ValidationException', message);
export const notFound = (message: string): ServiceError =>
  new ServiceError('ResourceNotFoundException', message);
export const conflict = (message: string): ServiceError => new ServiceError('ConflictException', message);
