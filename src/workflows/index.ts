export { userWorkflow } from './user-workflow';
export { journeyWorkflow } from './journey-workflow';
