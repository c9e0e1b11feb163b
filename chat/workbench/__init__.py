"""The prompt workbench: versioned prompts with {{variables}}, datasets of test cases, evaluators and runs."""
