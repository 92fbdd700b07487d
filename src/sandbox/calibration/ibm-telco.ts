import { parse } from 'csv-parse/sync';
import { TwinloopError } from '../../domain/errors.js';
import { summarise, type CalibrationSide, type ProfileRecord } from './calibration-profile.js';

/** IBM's InternetService values mapped onto the catalogue's plan families. */
const FAMILY: Record<string, ProfileRecord['family']> = { 'Fiber optic': 'fibre', DSL: 'dsl', No: 'none' };
const CONTRACT: Record<string, number> = { 'Month-to-month': 0, 'One year': 12, 'Two year': 24 };
const PAYMENT: Record<string, string> = {
  'Electronic check': 'electronic_check',
  'Mailed check': 'mailed_check',
  'Bank transfer (automatic)': 'direct_debit',
  'Credit card (automatic)': 'card',
};

/**
 * Reads IBM's Telco Customer Churn CSV (text) into the calibration profile. Its churn label is
 * "left within the last month" of a snapshot that over-samples leavers, so its rates are compared
 * with the world's monthly rates through their ratios to the overall rate, not directly.
 */
export function ibmProfile(csvText: string): CalibrationSide {
  const rows = parse(csvText, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  if (!rows.length || !('Contract' in rows[0]) || !('Churn' in rows[0])) {
    throw new TwinloopError('BAD_INPUT', 'not the IBM Telco Customer Churn file: expected columns Contract, tenure, InternetService, PaymentMethod, MonthlyCharges, Churn');
  }
  const records: ProfileRecord[] = rows.map((r, i) => {
    const family = FAMILY[r.InternetService];
    const contractMonths = CONTRACT[r.Contract];
    const paymentMethod = PAYMENT[r.PaymentMethod];
    if (family === undefined || contractMonths === undefined || paymentMethod === undefined) {
      throw new TwinloopError('BAD_INPUT', `row ${i + 2}: unexpected InternetService/Contract/PaymentMethod value`);
    }
    return {
      contractMonths,
      paymentMethod,
      family,
      phone: r.PhoneService === 'Yes',
      tenureMonths: Number(r.tenure),
      monthlyCharge: Number(r.MonthlyCharges),
      churned: r.Churn === 'Yes',
      exposureMonths: 1,
    };
  });
  return summarise(records);
}
