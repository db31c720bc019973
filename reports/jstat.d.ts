// Types for the part of jstat (no types of its own) that dsim uses: Student's t quantiles.
declare module 'jstat' {
  interface JStatStatic {
    studentt: {
      /** Quantile (inverse CDF) of Student's t with `dof` degrees of freedom. */
      inv(probability: number, dof: number): number;
    };
  }
  const jstat: { jStat: JStatStatic };
  export default jstat;
}
