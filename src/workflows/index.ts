export { userWorkflow } from './user';
export { journeyWorkflow } from './journey';
