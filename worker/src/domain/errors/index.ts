export { NotFoundError } from './not-found-error';
export { InvalidInputError } from './invalid-input-error';
export { ServiceUnavailableError } from './service-unavailable-error';
