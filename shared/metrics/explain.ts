/** Sentences that explain a metric, shown beside it in the reports and on screen (one wording everywhere). */

/** The answer to "why is kappa low when agreement is high?", shown wherever kappa is. */
export const KAPPA_PARADOX = 'Kappa corrects agreement for chance; when one class dominates it can be low even though agreement is high (the kappa paradox), so PABAK and Gwet\'s AC1, which are less sensitive to prevalence, are shown beside it.';
