export { userWorkflow } from './user-workflow';
export { journeyWorkflow } from './journey-workflow';
export { erasureWorkflow } from './erasure-workflow';
