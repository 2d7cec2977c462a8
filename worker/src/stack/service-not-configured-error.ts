/** No nbgrid service was found by the discovery rule, or its stack file cannot be used. */
export class ServiceNotConfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}
