"""KYC onboarding: investor submissions, provider verification, compliance review."""
