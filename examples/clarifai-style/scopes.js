// @ts-check
// The scopes the Clarifai page lists: operation level (read, write or delete a resource type)
// and endpoint level (one API method each). Copied from the page as data.

/** Operation-level scopes. */
const OPERATION_SCOPES = [
  "Annotations:Add",
  "Annotations:Delete",
  "Annotations:Get",
  "Concepts:Add",
  "Concepts:Get",
  "Inputs:Add",
  "Inputs:Delete",
  "Inputs:Get",
  "Models:Add",
  "Models:Delete",
  "Models:Get",
  "Models:Train",
  "Predict",
  "Search",
  "Workflows:Add",
  "Workflows:Delete",
  "Workflows:Get"
];

/** Endpoint-level scopes. */
const ENDPOINT_SCOPES = [
  "/clarifai.api.V2/GetConcept",
  "/clarifai.api.V2/GetConceptCounts",
  "/clarifai.api.V2/ListConcepts",
  "/clarifai.api.V2/PatchConcepts",
  "/clarifai.api.V2/PostConcepts",
  "/clarifai.api.V2/PostConceptsSearches",
  "/clarifai.api.V2/DeleteInput",
  "/clarifai.api.V2/DeleteInputs",
  "/clarifai.api.V2/GetInput",
  "/clarifai.api.V2/GetInputCount",
  "/clarifai.api.V2/ListInputs",
  "/clarifai.api.V2/ListModelInputs",
  "/clarifai.api.V2/PatchInputs",
  "/clarifai.api.V2/PostInputs",
  "/clarifai.api.V2/DeleteModel",
  "/clarifai.api.V2/DeleteModelVersion",
  "/clarifai.api.V2/DeleteModels",
  "/clarifai.api.V2/GetModel",
  "/clarifai.api.V2/GetModelOutputInfo",
  "/clarifai.api.V2/GetModelVersion",
  "/clarifai.api.V2/GetModelVersionMetrics",
  "/clarifai.api.V2/ListModelVersions",
  "/clarifai.api.V2/ListModels",
  "/clarifai.api.V2/PatchModels",
  "/clarifai.api.V2/PostModelVersionMetrics",
  "/clarifai.api.V2/PostModelVersions",
  "/clarifai.api.V2/PostModels",
  "/clarifai.api.V2/PostModelsSearches",
  "/clarifai.api.V2/PostModelOutputs",
  "/clarifai.api.V2/PostWorkflowResults",
  "/clarifai.api.V2/PostSearches",
  "/clarifai.api.V2/DeleteWorkflow",
  "/clarifai.api.V2/DeleteWorkflows",
  "/clarifai.api.V2/GetWorkflow",
  "/clarifai.api.V2/ListWorkflows",
  "/clarifai.api.V2/PatchWorkflows",
  "/clarifai.api.V2/PostWorkflows"
];

module.exports = { OPERATION_SCOPES, ENDPOINT_SCOPES };
