import { describe, expect, it } from 'vitest';
import { compareSides, formatCalibration } from './calibration-report.js';
import { ibmProfile } from './ibm-telco.js';

// Four made-up rows in the IBM file's layout (the real file is never copied into the repository).
const CSV = `customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn
a,Female,0,No,No,1,Yes,No,Fiber optic,No,No,No,No,No,No,Month-to-month,Yes,Electronic check,90,90,Yes
b,Male,0,No,No,60,Yes,No,DSL,No,No,No,No,No,No,Two year,No,Credit card (automatic),50,3000,No
c,Male,0,No,No,30,No,No phone service,DSL,No,No,No,No,No,No,One year,No,Mailed check,40,1200,No
d,Female,1,No,No,3,Yes,No,No,No,No,No,No,No,No,Month-to-month,Yes,Bank transfer (automatic),20,60,Yes
`;

describe('calibration', () => {
  it('maps IBM columns onto the world vocabulary and computes shares, means and churn by driver', () => {
    const p = ibmProfile(CSV);
    expect(p.customers).toBe(4);
    expect(p.shares['contract month-to-month']).toBe(0.5);
    expect(p.shares['internet fibre']).toBe(0.25);
    expect(p.shares['phone service']).toBe(0.75);
    expect(p.shares['payment direct_debit']).toBe(0.25);
    expect(p.means['tenure months']).toBeCloseTo(23.5);
    expect(p.churn.overall).toBe(0.5);
    expect(p.churn['contract month-to-month']).toBe(1);
    const report = compareSides(p, p);
    expect(report.rows.find((r) => r.metric === 'contract month-to-month' && r.section === 'churn')?.ibmRelative).toBe(2);
    expect(formatCalibration(report)).toContain('| contract month-to-month |');
  });

  it('refuses a file that is not the IBM layout', () => {
    expect(() => ibmProfile('a,b\n1,2\n')).toThrow(/IBM Telco/);
  });
});
